namespace EpdBatch.Model.Config;

public enum VisionArchitecture
{
    Clip,
    Siglip,
}
