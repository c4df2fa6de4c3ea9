namespace EpdBatch.Pipeline.Options;

/// <summary>An options class bound from one configuration section (e.g. <c>Epd:Encoder</c>, or <c>Epd__Encoder__…</c> in the environment).</summary>
public interface IEpdOptionsSection
{
    static abstract string SectionName { get; }
}
