namespace EpdBatch.Model.Stages;

public enum MultimodalKind
{
    Image = 1,
    Video = 2,
}
