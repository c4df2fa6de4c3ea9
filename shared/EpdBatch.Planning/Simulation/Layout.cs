namespace EpdBatch.Planning.Simulation;

/// <summary>
/// Which stages run on which GPUs. A disaggregated layout gives every GPU one stage (E encoders, P prefill and D
/// decoder replicas); a colocated layout has GPUs that time-share several stages, as a monolithic server does.
/// </summary>
public sealed record Layout(IReadOnlyList<WorkerGroup> Groups)
{
    /// <summary>E encoder, P prefill and D decoder GPUs, one stage each.</summary>
    public static Layout Disaggregated(int encoders, int prefills, int decoders)
    {
        var groups = new List<WorkerGroup>();
        if (encoders > 0)
        {
            groups.Add(new WorkerGroup(StageRoles.Encode, encoders));
        }
        groups.Add(new WorkerGroup(StageRoles.Prefill, prefills));
        groups.Add(new WorkerGroup(StageRoles.Decode, decoders));
        return new Layout(groups);
    }

    /// <summary><paramref name="gpus"/> GPUs that each run all three stages (a monolithic server per GPU).</summary>
    public static Layout Colocated(int gpus) => new([new WorkerGroup(StageRoles.All, gpus)]);

    /// <summary>Encode and prefill together on <paramref name="encodePrefill"/> GPUs, decode on its own (prefill–decode disaggregation).</summary>
    public static Layout EncodePrefillColocated(int encodePrefill, int decoders) =>
        new([new WorkerGroup(StageRoles.EncodePrefill, encodePrefill), new WorkerGroup(StageRoles.Decode, decoders)]);

    /// <summary>Encoders on their own, prefill and decode together.</summary>
    public static Layout PrefillDecodeColocated(int encoders, int prefillDecode) =>
        new([new WorkerGroup(StageRoles.Encode, encoders), new WorkerGroup(StageRoles.PrefillDecode, prefillDecode)]);

    /// <summary>
    /// Reads a layout as <see cref="ToString"/> writes it: groups joined by '+', each a GPU count and the stages
    /// its GPUs run, with '×' (or 'x') before colocated stages: "3E+2P+3D", "8×EPD", "5xEP+3D", "2E+6xPD".
    /// </summary>
    public static Layout Parse(string text)
    {
        var groups = new List<WorkerGroup>();
        foreach (var part in text.Split('+', StringSplitOptions.TrimEntries))
        {
            var digits = 0;
            while (digits < part.Length && char.IsAsciiDigit(part[digits]))
            {
                digits++;
            }
            var roles = part[digits..].TrimStart('×', 'x', 'X', '*').ToUpperInvariant();
            if (digits == 0 || roles.Length == 0 || !int.TryParse(part[..digits], out var count))
            {
                throw new FormatException($"layout '{text}': each group is a GPU count and its stages, e.g. 3E+2P+3D or 8xEPD (got '{part}')");
            }
            var mask = StageRoles.None;
            foreach (var c in roles)
            {
                mask |= c switch
                {
                    'E' => StageRoles.Encode,
                    'P' => StageRoles.Prefill,
                    'D' => StageRoles.Decode,
                    _ => throw new FormatException($"layout '{text}': stages are E, P and D (got '{c}')"),
                };
            }
            groups.Add(new WorkerGroup(mask, count));
        }
        return new Layout(groups);
    }

    public int Gpus
    {
        get
        {
            var total = 0;
            foreach (var g in Groups)
            {
                total += g.Count;
            }
            return total;
        }
    }

    /// <summary>Whether some GPU runs more than one stage.</summary>
    public bool IsColocated
    {
        get
        {
            foreach (var g in Groups)
            {
                if (g.Roles is not (StageRoles.Encode or StageRoles.Prefill or StageRoles.Decode))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>GPUs that run <paramref name="stage"/> (alone or time-shared).</summary>
    public int WorkersFor(PipelineStage stage)
    {
        var role = (StageRoles)(1 << (int)stage);
        var count = 0;
        foreach (var g in Groups)
        {
            if (g.Roles.HasFlag(role))
            {
                count += g.Count;
            }
        }
        return count;
    }

    /// <summary>Throws a one-line <see cref="ArgumentException"/> for a layout no pipeline can run.</summary>
    public void Validate(bool needsEncoder)
    {
        if (Groups.Count == 0)
        {
            throw new ArgumentException("layout: no GPUs");
        }
        foreach (var g in Groups)
        {
            if (g.Count < 1)
            {
                throw new ArgumentException($"layout: group {g} needs at least one GPU");
            }
            if (g.Roles is StageRoles.None or (StageRoles.Encode | StageRoles.Decode) || (int)g.Roles > (int)StageRoles.All)
            {
                throw new ArgumentException($"layout: a GPU runs one stage or neighbouring stages (E, P, D, EP, PD, EPD), not {g.Roles}");
            }
        }
        if (WorkersFor(PipelineStage.Prefill) == 0 || WorkersFor(PipelineStage.Decode) == 0)
        {
            throw new ArgumentException($"layout {this}: needs at least one prefill and one decode GPU");
        }
        if (needsEncoder && WorkersFor(PipelineStage.Encode) == 0)
        {
            throw new ArgumentException($"layout {this}: the workload has media, so it needs at least one encoder GPU");
        }
    }

    /// <summary>Equal groups in the same order (a record compares its list by reference otherwise).</summary>
    public bool Equals(Layout? other) => other is not null && Groups.SequenceEqual(other.Groups);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var g in Groups)
        {
            hash.Add(g);
        }
        return hash.ToHashCode();
    }

    public override string ToString() => string.Join("+", Groups.Select(g => g.ToString()));
}
