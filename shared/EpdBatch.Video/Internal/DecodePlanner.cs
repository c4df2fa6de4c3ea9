namespace EpdBatch.Video.Internal;

/// <summary>
/// Groups the wanted frames into runs. Seeking to a frame costs decoding from the keyframe before it (plus opening
/// another input); decoding on from the previous wanted frame costs the frames in between. A frame joins the current
/// run where decoding on is no dearer than seeking, so a short clip (or long GOPs) decodes once, front to back, and a
/// long clip seeks to each sample instead of decoding every frame.
/// </summary>
internal static class DecodePlanner
{
    /// <summary>Opening one more input (demuxer, header, decoder) priced in decoded frames.</summary>
    public const int SeekOverheadFrames = 8;

    /// <param name="seek">False for one run from the start (containers whose seeking may land late, and the retry).</param>
    public static IReadOnlyList<DecodeRun> Plan(FrameIndex index, IReadOnlyList<int> wantedFrames, bool seek)
    {
        if (!seek)
        {
            return [new DecodeRun(wantedFrames, wantedFrames.Max(f => index.DecodePosition[f]) + 1)];
        }

        var runs = new List<DecodeRun>();
        var current = new List<int>();
        var estimate = 0;
        foreach (var frame in wantedFrames)
        {
            var seekCost = index.DecodePosition[frame] - index.SeekStart[frame] + SeekOverheadFrames;
            if (current.Count > 0)
            {
                // With reordering (B-frames) a later frame may already be decoded: going on then costs nothing.
                var onCost = Math.Max(0, index.DecodePosition[frame] - index.DecodePosition[current[^1]]);
                if (onCost <= seekCost)
                {
                    current.Add(frame);
                    estimate += onCost;
                    continue;
                }

                runs.Add(new DecodeRun(current, estimate));
                current = [];
            }

            current.Add(frame);
            estimate = seekCost - SeekOverheadFrames + 1;
        }

        if (current.Count > 0)
        {
            runs.Add(new DecodeRun(current, estimate));
        }

        return runs;
    }
}
