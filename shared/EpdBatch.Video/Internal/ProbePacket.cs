namespace EpdBatch.Video.Internal;

/// <summary>One packet of a video stream in demux (decode) order; timestamps in the stream's time base.</summary>
internal readonly record struct ProbePacket(int Stream, long? Pts, long? Dts, long? Duration, bool Key, bool Discard);
