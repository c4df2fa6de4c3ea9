using EpdBatch.Planning.Profiles;

namespace EpdBatch.Planning.Simulation;

/// <summary>
/// One discrete-event simulation of a workload through a configuration. Items flow encode → prefill → decode.
/// A stage on a GPU of its own pulls from the stage's shared queue (as replicas consume one broker queue) and
/// batches as its options say; between GPUs an item's payload travels for the profile's transfer time. A GPU
/// that runs several stages time-shares them one forward at a time, prefill first (as vLLM schedules), and
/// admits no more items than its decode slots hold. Decode is continuous batching: a sequence joins at the next
/// step boundary once a slot is free; between joins and leaves the steps run as one event, cut short when an
/// arrival could join sooner. On a shared device (a CPU machine that every replica's process runs on) forwards in
/// progress at the same time slow each other down as the profile's <see cref="DeviceSharing"/> says: each forward's
/// work is its alone time, and every start or end of a forward changes the rate of the others. Where the profile
/// also has the services' own CPU per item (<see cref="ServiceCost"/>), each item's share of it runs there too, as
/// one-thread work beside the forwards: the ingest, broker and stores' share when it arrives, and each stage's
/// share when the item reaches the stage's queue, one item at a time per replica (a process's receive path), before
/// the stage can take it. Flat arrays throughout: the planner runs thousands of these.
/// </summary>
internal sealed class SimulationRun
{
    private const int E = 0;
    private const int P = 1;
    private const int D = 2;

    private readonly StageCostModel _cost;
    private readonly PipelineConfiguration _config;
    private readonly PreparedWorkload _w;
    private readonly EventHeap _events = new();

    // Items.
    private readonly double[] _enqueued;
    private readonly double[] _firstToken;
    private readonly double[] _finished;

    // Queues: one shared queue per stage, and per GPU the queues between the stages it runs itself.
    private readonly IntQueue[] _global = [new(), new(), new()];
    private readonly int[][] _pullers = new int[3][];
    private readonly double[] _timerAt = [double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity];
    private readonly int _entryStage;

    // Workers (GPUs).
    private readonly int _workerCount;
    private readonly StageRoles[] _roles;
    private readonly bool[] _multi;
    private readonly IntQueue?[] _localPrefill;
    private readonly IntQueue?[] _localDecode;
    private readonly int[] _inflight;
    private readonly int[] _limit;
    private readonly bool[] _busy;
    private readonly int[] _opStage;
    private readonly int[][] _opItems;
    private readonly int[] _opCount;
    private readonly double[] _opStart;

    // Each forward's work in seconds alone on its device, the part done by _opAt, and the rate all forwards in
    // progress share (1 on a device per replica; lower on a shared device while several run).
    private readonly double[] _opWork;
    private readonly double[] _opDone;
    private readonly double[] _opAt;
    private readonly DeviceSharing? _sharing;
    private int _running;
    private double _rate = 1;
    private readonly int[] _version;
    private readonly double[,] _busySeconds;
    private readonly int[] _pullStage;
    private readonly bool[] _claimed;
    private readonly int[] _claims = new int[3];
    private readonly int[] _turn = new int[3];
    private readonly double[] _workSeconds = new double[3];

    // The services' own work on a shared device: lanes of one thread each, per stage one per replica that pulls
    // from the stage's queue (E, P, D) and one for everything else (Other), each working through its items in turn.
    private const int Other = 3;
    private readonly double[] _serviceSeconds = new double[4];
    private readonly int[] _laneFirst = new int[4];
    private readonly int[] _laneCount = new int[4];
    private readonly int _lanes;
    private readonly IntQueue[] _laneQueue = [];
    private readonly int[] _laneKind = [];
    private readonly bool[] _laneBusy = [];
    private readonly int[] _laneItem = [];
    private readonly double[] _laneWork = [];
    private readonly double[] _laneDone = [];
    private readonly double[] _laneAt = [];
    private readonly int[] _laneVersion = [];
    private int _lanesBusy;
    private double _serviceWork;

    // Decode slots per worker.
    private readonly int _slots;
    private readonly int[][] _slotItem;
    private readonly long[][] _slotFinish;
    private readonly long[][] _slotBase;
    private readonly int[] _active;
    private readonly long[] _stepCounter;
    private readonly long[] _minFinish;
    private readonly long[] _maxBase;
    private readonly int[] _runSteps;
    private readonly int[] _runBatch;
    private readonly int[] _runFirstContext;

    // Statistics.
    private readonly long[] _batches = new long[3];
    private readonly long[] _batchItems = new long[3];
    private readonly int[] _peakLocal = new int[3];

    // The most each batch limit was used: where it stayed below its limit, the limit never bound.
    private int _peakEncoder;
    private int _peakPrefill;
    private int _peakDecoder;

    private double _now;
    private int _completed;

    public SimulationRun(StageCostModel cost, PipelineConfiguration config, PreparedWorkload workload, DeviceSharing? sharing = null)
    {
        _cost = cost;
        _sharing = sharing;
        _config = config;
        _w = workload;
        var n = workload.Count;
        _enqueued = new double[n];
        _firstToken = new double[n];
        _finished = new double[n];

        _workerCount = config.Layout.Gpus;
        _roles = new StageRoles[_workerCount];
        var index = 0;
        foreach (var group in config.Layout.Groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                _roles[index++] = group.Roles;
            }
        }
        _multi = new bool[_workerCount];
        _localPrefill = new IntQueue?[_workerCount];
        _localDecode = new IntQueue?[_workerCount];
        _inflight = new int[_workerCount];
        _limit = new int[_workerCount];
        _busy = new bool[_workerCount];
        _opStage = new int[_workerCount];
        _opItems = new int[_workerCount][];
        _opCount = new int[_workerCount];
        _opStart = new double[_workerCount];
        _opWork = new double[_workerCount];
        _opDone = new double[_workerCount];
        _opAt = new double[_workerCount];
        _version = new int[_workerCount];
        _busySeconds = new double[_workerCount, 3];
        _pullStage = new int[_workerCount];
        _claimed = new bool[_workerCount];
        _slots = config.DecoderMaxBatch;
        _slotItem = new int[_workerCount][];
        _slotFinish = new long[_workerCount][];
        _slotBase = new long[_workerCount][];
        _active = new int[_workerCount];
        _stepCounter = new long[_workerCount];
        _minFinish = new long[_workerCount];
        _maxBase = new long[_workerCount];
        _runSteps = new int[_workerCount];
        _runBatch = new int[_workerCount];
        _runFirstContext = new int[_workerCount];

        var pullers = new[] { new List<int>(), new List<int>(), new List<int>() };
        for (var w = 0; w < _workerCount; w++)
        {
            var roles = _roles[w];
            var hasE = roles.HasFlag(StageRoles.Encode);
            var hasP = roles.HasFlag(StageRoles.Prefill);
            var hasD = roles.HasFlag(StageRoles.Decode);
            _multi[w] = roles is not (StageRoles.Encode or StageRoles.Prefill or StageRoles.Decode);
            _opItems[w] = new int[Math.Max(config.Encoder.MaxBatchSize, config.Prefill.MaxBatchSize)];
            // A GPU pulls from the shared queue of its first stage; the stages after it get their items locally.
            _pullStage[w] = hasE ? E : hasP ? P : D;
            pullers[_pullStage[w]].Add(w);
            if (hasE && hasP)
            {
                _localPrefill[w] = new IntQueue();
            }
            if (hasD)
            {
                // A colocated GPU's prefilled items, or the items the broker delivered ahead to a decoder.
                _localDecode[w] = new IntQueue();
            }
            if (hasD)
            {
                _slotItem[w] = new int[_slots];
                Array.Fill(_slotItem[w], -1);
                _slotFinish[w] = new long[_slots];
                _slotBase[w] = new long[_slots];
            }
            // A colocated GPU admits no more items than it can decode at once; an encode+prefill GPU one encoder batch.
            _limit[w] = hasD ? _slots : config.Encoder.MaxBatchSize;
        }
        for (var s = 0; s < 3; s++)
        {
            _pullers[s] = [.. pullers[s]];
        }
        _entryStage = _pullers[E].Length > 0 ? E : P;

        if (sharing is not null && cost.Profile.ServiceCost is { } service && service.TotalSeconds > 0)
        {
            _serviceSeconds[E] = service.EncoderSeconds;
            _serviceSeconds[P] = service.PrefillSeconds;
            _serviceSeconds[D] = service.DecoderSeconds;
            _serviceSeconds[Other] = service.OtherSeconds;
            for (var kind = 0; kind < 4; kind++)
            {
                _laneFirst[kind] = _lanes;
                _laneCount[kind] = kind == Other ? 1 : Math.Max(1, _pullers[kind].Length);
                _lanes += _laneCount[kind];
            }
            _laneQueue = new IntQueue[_lanes];
            _laneKind = new int[_lanes];
            for (var kind = 0; kind < 4; kind++)
            {
                for (var l = _laneFirst[kind]; l < _laneFirst[kind] + _laneCount[kind]; l++)
                {
                    _laneQueue[l] = new IntQueue();
                    _laneKind[l] = kind;
                }
            }
            _laneBusy = new bool[_lanes];
            _laneItem = new int[_lanes];
            _laneWork = new double[_lanes];
            _laneDone = new double[_lanes];
            _laneAt = new double[_lanes];
            _laneVersion = new int[_lanes];
        }
    }

    public SimulationResult Run(ServiceTargets? targets)
    {
        var n = _w.Count;
        var next = 0;
        while (_completed < n)
        {
            var eventTime = _events.Count > 0 ? _events.PeekTime : double.PositiveInfinity;
            if (next < n && _w.Arrival[next] <= eventTime)
            {
                // Every item arriving at this instant joins the queue before anyone takes from it.
                _now = _w.Arrival[next];
                if (_lanes > 0)
                {
                    do
                    {
                        StartService(next, Other);
                        next++;
                    }
                    while (next < n && _w.Arrival[next] == _now);
                    continue;
                }
                do
                {
                    _enqueued[next] = _now;
                    _global[_entryStage].Enqueue(next);
                    next++;
                }
                while (next < n && _w.Arrival[next] == _now);
                OnGlobalEnqueue(_entryStage);
                continue;
            }
            if (_events.Count == 0)
            {
                throw new InvalidOperationException($"simulation of {_config} stalled with {n - _completed} item(s) unfinished");
            }
            var e = _events.Pop();
            _now = e.Time;
            switch (e.Kind)
            {
                case EventKind.WorkerDone:
                    if (e.B == _version[e.A])
                    {
                        OnWorkerDone(e.A);
                    }
                    break;
                case EventKind.TransferDone:
                    StartService(e.A, e.B);
                    break;
                case EventKind.ServiceDone:
                    if (e.B == _laneVersion[e.A])
                    {
                        OnServiceDone(e.A);
                    }
                    break;
                case EventKind.BatchTimer:
                    if (_now == _timerAt[e.A])
                    {
                        _timerAt[e.A] = double.PositiveInfinity;
                        OnGlobalEnqueue(e.A);
                    }
                    break;
            }
        }
        return Summarise(targets);
    }

    /// <summary>
    /// Items entered a shared queue: idle GPUs that pull from it may start. Then, one per item not yet spoken for,
    /// a colocated GPU in a decode run that could admit more ends its run at its next step boundary and takes it
    /// there (taken in turn, so that arrivals spread over the GPUs as a broker's round-robin delivery spreads them).
    /// </summary>
    private void OnGlobalEnqueue(int stage)
    {
        var queue = _global[stage];
        var pullers = _pullers[stage];
        foreach (var w in pullers)
        {
            if (queue.Count == 0)
            {
                return;
            }
            if (!_busy[w])
            {
                Schedule(w);
            }
        }
        for (var k = 0; k < pullers.Length && queue.Count > _claims[stage]; k++)
        {
            var w = pullers[(_turn[stage] + k) % pullers.Length];
            if (_busy[w] && _opStage[w] == D && !_claimed[w] && CouldAdmit(w))
            {
                CutDecodeRun(w);
                _claimed[w] = true;
                _claims[stage]++;
                _turn[stage] = (_turn[stage] + k + 1) % pullers.Length;
                k = -1;
            }
        }
    }

    private bool CouldAdmit(int w) => _inflight[w] < _limit[w];

    /// <summary>
    /// An item reached a stage (or, as <see cref="Other"/>, the pipeline): its share of the services' own work for
    /// it runs first, on the least loaded lane of the stage, and then it joins the stage's queue. Without service
    /// work it joins at once.
    /// </summary>
    private void StartService(int item, int kind)
    {
        var seconds = _lanes > 0 ? _serviceSeconds[kind] : 0;
        if (seconds <= 0)
        {
            ServiceFinished(item, kind);
            return;
        }
        var lane = _laneFirst[kind];
        var least = int.MaxValue;
        for (var l = _laneFirst[kind]; l < _laneFirst[kind] + _laneCount[kind]; l++)
        {
            var load = _laneQueue[l].Count + (_laneBusy[l] ? 1 : 0);
            if (load < least)
            {
                lane = l;
                least = load;
            }
        }
        if (_laneBusy[lane])
        {
            _laneQueue[lane].Enqueue(item);
            return;
        }
        AdvanceShared();
        BeginService(lane, item);
        RescheduleShared();
    }

    private void BeginService(int lane, int item)
    {
        _laneBusy[lane] = true;
        _laneItem[lane] = item;
        _laneWork[lane] = _serviceSeconds[_laneKind[lane]];
        _laneDone[lane] = 0;
        _laneAt[lane] = _now;
        _lanesBusy++;
    }

    private void OnServiceDone(int lane)
    {
        AdvanceShared();
        var item = _laneItem[lane];
        _serviceWork += _laneWork[lane];
        _laneBusy[lane] = false;
        _lanesBusy--;
        if (_laneQueue[lane].Count > 0)
        {
            BeginService(lane, _laneQueue[lane].Dequeue());
        }
        RescheduleShared();
        ServiceFinished(item, _laneKind[lane]);
    }

    /// <summary>The item's service work for <paramref name="kind"/> is done: on to the stage's queue.</summary>
    private void ServiceFinished(int item, int kind)
    {
        if (kind == Other)
        {
            StartService(item, _entryStage);
            return;
        }
        _enqueued[item] = _now;
        if (kind == D)
        {
            DeliverToDecoder(item);
        }
        else
        {
            _global[kind].Enqueue(item);
            OnGlobalEnqueue(kind);
        }
    }

    /// <summary>
    /// The broker hands a decode message to the decoder with the fewest sequences (active and delivered ahead),
    /// as round-robin delivery with prefetch spreads them; it joins that decoder at its next step. Where every
    /// decoder is full it waits in the shared queue for the first slot to free.
    /// </summary>
    private void DeliverToDecoder(int item)
    {
        var target = -1;
        var least = int.MaxValue;
        foreach (var w in _pullers[D])
        {
            var load = _active[w] + _localDecode[w]!.Count;
            if (load < _slots && load < least)
            {
                target = w;
                least = load;
            }
        }
        if (target < 0)
        {
            _global[D].Enqueue(item);
            return;
        }
        var local = _localDecode[target]!;
        local.Enqueue(item);
        _peakLocal[D] = Math.Max(_peakLocal[D], local.Count);
        _peakDecoder = Math.Max(_peakDecoder, least + 1);
        if (!_busy[target])
        {
            Schedule(target);
        }
        else if (_opStage[target] == D)
        {
            CutDecodeRun(target);
        }
    }

    /// <summary>An idle GPU picks its next forward.</summary>
    private void Schedule(int w)
    {
        if (!_multi[w])
        {
            switch (_roles[w])
            {
                case StageRoles.Encode:
                    StartBatchWhenReady(w, E, _config.Encoder);
                    break;
                case StageRoles.Prefill:
                    StartBatchWhenReady(w, P, _config.Prefill);
                    break;
                default:
                    Admit(w, _localDecode[w]!);
                    Admit(w, _global[D]);
                    if (_active[w] > 0)
                    {
                        StartDecodeRun(w);
                    }
                    break;
            }
            return;
        }

        var roles = _roles[w];
        var hasE = roles.HasFlag(StageRoles.Encode);
        var hasD = roles.HasFlag(StageRoles.Decode);
        if (hasD && _localDecode[w] is { } ready)
        {
            Admit(w, ready);
        }
        // Prefill first (it frees what encode filled and feeds decode), then new items, then a decode run.
        var prefillSource = hasE ? _localPrefill[w]! : _global[P];
        var take = Math.Min(prefillSource.Count, _config.Prefill.MaxBatchSize);
        if (!hasE)
        {
            take = Math.Min(take, _limit[w] - _inflight[w]);
        }
        if (take > 0)
        {
            if (!hasE)
            {
                _inflight[w] += take;
                _peakDecoder = Math.Max(_peakDecoder, _inflight[w]);
            }
            StartBatch(w, P, prefillSource, take);
            return;
        }
        if (hasE)
        {
            take = Math.Min(Math.Min(_global[E].Count, _config.Encoder.MaxBatchSize), _limit[w] - _inflight[w]);
            if (take > 0)
            {
                _inflight[w] += take;
                if (hasD)
                {
                    _peakDecoder = Math.Max(_peakDecoder, _inflight[w]);
                }
                else
                {
                    _peakEncoder = Math.Max(_peakEncoder, _inflight[w]);
                }
                StartBatch(w, E, _global[E], take);
                return;
            }
        }
        if (hasD && _active[w] > 0)
        {
            StartDecodeRun(w);
        }
    }

    /// <summary>A one-stage GPU starts a batch once it is full or its oldest item has waited the batch wait.</summary>
    private void StartBatchWhenReady(int w, int stage, BatchPolicy policy)
    {
        var queue = _global[stage];
        if (queue.Count == 0)
        {
            return;
        }
        var due = _enqueued[queue.Peek()] + policy.MaxWaitSeconds;
        if (queue.Count >= policy.MaxBatchSize || _now >= due)
        {
            StartBatch(w, stage, queue, Math.Min(queue.Count, policy.MaxBatchSize));
        }
        else if (due < _timerAt[stage])
        {
            _timerAt[stage] = due;
            _events.Push(due, EventKind.BatchTimer, stage, 0);
        }
    }

    private void StartBatch(int w, int stage, IntQueue queue, int take)
    {
        var items = _opItems[w];
        var tiles = 0;
        var longest = 0;
        for (var i = 0; i < take; i++)
        {
            var item = queue.Dequeue();
            items[i] = item;
            tiles += _w.Tiles[item];
            longest = Math.Max(longest, _w.PromptTokens[item]);
        }
        // Prefill pads every sequence to the longest in the batch.
        var seconds = stage == E ? _cost.EncodeSeconds(tiles) : _cost.PrefillSeconds(take, longest);
        _opCount[w] = take;
        if (stage == E)
        {
            _peakEncoder = Math.Max(_peakEncoder, take);
        }
        else
        {
            _peakPrefill = Math.Max(_peakPrefill, take);
        }
        _batches[stage]++;
        _batchItems[stage] += take;
        Begin(w, stage, seconds);
    }

    private void Begin(int w, int stage, double seconds)
    {
        AdvanceShared();
        _busy[w] = true;
        _opStage[w] = stage;
        _opStart[w] = _now;
        _opWork[w] = seconds;
        _opDone[w] = 0;
        _opAt[w] = _now;
        if (_sharing is null)
        {
            _events.Push(_now + seconds, EventKind.WorkerDone, w, ++_version[w]);
            return;
        }
        _running++;
        RescheduleShared();
    }

    /// <summary>Shared device: brings every forward in progress up to now at the rate they have shared since the last change.</summary>
    private void AdvanceShared()
    {
        if (_sharing is null)
        {
            return;
        }
        for (var w = 0; w < _workerCount; w++)
        {
            if (_busy[w])
            {
                _opDone[w] += (_now - _opAt[w]) * _rate;
                _opAt[w] = _now;
            }
        }
        for (var l = 0; l < _lanes; l++)
        {
            if (_laneBusy[l])
            {
                _laneDone[l] += (_now - _laneAt[l]) * _rate;
                _laneAt[l] = _now;
            }
        }
    }

    /// <summary>Shared device: the number of forwards in progress changed, so does their rate and every one's end.</summary>
    private void RescheduleShared()
    {
        _rate = _sharing!.Rate(_running, _lanesBusy);
        for (var w = 0; w < _workerCount; w++)
        {
            if (_busy[w])
            {
                var left = Math.Max(0, _opWork[w] - _opDone[w]);
                _events.Push(_now + left / _rate, EventKind.WorkerDone, w, ++_version[w]);
            }
        }
        for (var l = 0; l < _lanes; l++)
        {
            if (_laneBusy[l])
            {
                var left = Math.Max(0, _laneWork[l] - _laneDone[l]);
                _events.Push(_now + left / _rate, EventKind.ServiceDone, l, ++_laneVersion[l]);
            }
        }
    }

    private void OnWorkerDone(int w)
    {
        AdvanceShared();
        _busy[w] = false;
        if (_sharing is not null)
        {
            _running--;
            RescheduleShared();
        }
        var stage = _opStage[w];
        _busySeconds[w, stage] += _now - _opStart[w];
        _workSeconds[stage] += _opWork[w];
        switch (stage)
        {
            case E:
                FinishEncode(w);
                break;
            case P:
                FinishPrefill(w);
                break;
            default:
                if (_claimed[w])
                {
                    _claimed[w] = false;
                    _claims[_pullStage[w]]--;
                }
                FinishDecodeRun(w);
                break;
        }
        if (!_busy[w])
        {
            Schedule(w);
        }
    }

    private void FinishEncode(int w)
    {
        var local = _localPrefill[w];
        var items = _opItems[w];
        for (var i = 0; i < _opCount[w]; i++)
        {
            var item = items[i];
            if (local is not null)
            {
                local.Enqueue(item);
                _peakLocal[P] = Math.Max(_peakLocal[P], local.Count);
            }
            else
            {
                Transfer(item, P, _w.MultimodalBytes[item]);
            }
        }
    }

    private void FinishPrefill(int w)
    {
        var local = _localDecode[w];
        var leaves = _multi[w] && local is null;
        var items = _opItems[w];
        for (var i = 0; i < _opCount[w]; i++)
        {
            var item = items[i];
            _firstToken[item] = _now;
            if (_w.OutputTokens[item] <= 1)
            {
                Complete(item);
                if (_multi[w])
                {
                    _inflight[w]--;
                }
                continue;
            }
            if (local is not null)
            {
                local.Enqueue(item);
                _peakLocal[D] = Math.Max(_peakLocal[D], local.Count);
            }
            else
            {
                if (leaves)
                {
                    _inflight[w]--;
                }
                Transfer(item, D, _w.KvBytes[item]);
            }
        }
    }

    private void Transfer(int item, int stage, long bytes)
    {
        var seconds = _cost.TransferSeconds(bytes);
        _events.Push(_now + seconds, EventKind.TransferDone, item, stage);
    }

    private void Complete(int item)
    {
        _finished[item] = _now;
        _completed++;
    }

    /// <summary>Ready sequences take free slots (they join at the next step).</summary>
    private void Admit(int w, IntQueue queue)
    {
        if (queue.Count == 0 || _active[w] >= _slots)
        {
            return;
        }
        var slotItem = _slotItem[w];
        var slot = 0;
        while (queue.Count > 0 && _active[w] < _slots)
        {
            while (slotItem[slot] >= 0)
            {
                slot++;
            }
            var item = queue.Dequeue();
            slotItem[slot] = item;
            // Prefill gave the first token; decode gives the rest, one per step, from position prompt + 1.
            var finish = _stepCounter[w] + _w.OutputTokens[item] - 1;
            var contextBase = _w.PromptTokens[item] + 1 - _stepCounter[w];
            _slotFinish[w][slot] = finish;
            _slotBase[w][slot] = contextBase;
            if (_active[w] == 0 || finish < _minFinish[w])
            {
                _minFinish[w] = finish;
            }
            if (_active[w] == 0 || contextBase > _maxBase[w])
            {
                _maxBase[w] = contextBase;
            }
            _active[w]++;
        }
        _peakDecoder = Math.Max(_peakDecoder, _active[w] + (_multi[w] ? 0 : _localDecode[w]!.Count));
    }

    /// <summary>Steps until the next sequence finishes, as one event; the batch and its growth are fixed until then.</summary>
    private void StartDecodeRun(int w)
    {
        var steps = (int)(_minFinish[w] - _stepCounter[w]);
        var batch = _active[w];
        var firstContext = (int)(_maxBase[w] + _stepCounter[w]);
        _runSteps[w] = steps;
        _runBatch[w] = batch;
        _runFirstContext[w] = firstContext;
        _batches[D] += steps;
        _batchItems[D] += (long)steps * batch;
        Begin(w, D, _cost.DecodeStepsSeconds(batch, firstContext, steps));
    }

    /// <summary>When the step in progress ends (and how many steps of the run that makes, and their work).</summary>
    private double NextBoundary(int w, out int steps, out double work)
    {
        var done = _opDone[w] + (_now - _opAt[w]) * _rate;
        steps = _cost.DecodeStepsLasting(_runBatch[w], _runFirstContext[w], _runSteps[w], done, out work);
        return _sharing is null ? _opStart[w] + work : _now + Math.Max(0, work - done) / _rate;
    }

    /// <summary>Ends the run at the boundary of the step in progress, so that a new arrival joins there.</summary>
    private void CutDecodeRun(int w)
    {
        var end = NextBoundary(w, out var steps, out var work);
        if (steps >= _runSteps[w])
        {
            return;
        }
        _opWork[w] = work;
        var batch = _runBatch[w];
        _batches[D] -= _runSteps[w] - steps;
        _batchItems[D] -= (long)(_runSteps[w] - steps) * batch;
        _runSteps[w] = steps;
        _events.Push(end, EventKind.WorkerDone, w, ++_version[w]);
    }

    private void FinishDecodeRun(int w)
    {
        _stepCounter[w] += _runSteps[w];
        var step = _stepCounter[w];
        var slotItem = _slotItem[w];
        var slotFinish = _slotFinish[w];
        var slotBase = _slotBase[w];
        var minFinish = long.MaxValue;
        var maxBase = long.MinValue;
        for (var s = 0; s < _slots; s++)
        {
            var item = slotItem[s];
            if (item < 0)
            {
                continue;
            }
            if (slotFinish[s] <= step)
            {
                Complete(item);
                slotItem[s] = -1;
                _active[w]--;
                if (_multi[w])
                {
                    _inflight[w]--;
                }
                continue;
            }
            minFinish = Math.Min(minFinish, slotFinish[s]);
            maxBase = Math.Max(maxBase, slotBase[s]);
        }
        _minFinish[w] = minFinish;
        _maxBase[w] = maxBase;
    }

    private SimulationResult Summarise(ServiceTargets? targets)
    {
        var n = _w.Count;
        var makespan = 0.0;
        var ttft = new double[n];
        var tpot = new double[n];
        var latency = new double[n];
        var tpotCount = 0;
        var meeting = 0;
        long outputTokens = 0;
        for (var i = 0; i < n; i++)
        {
            makespan = Math.Max(makespan, _finished[i]);
            ttft[i] = _firstToken[i] - _w.Arrival[i];
            latency[i] = _finished[i] - _w.Arrival[i];
            outputTokens += _w.OutputTokens[i];
            var perToken = 0.0;
            if (_w.OutputTokens[i] > 1)
            {
                perToken = (_finished[i] - _firstToken[i]) / (_w.OutputTokens[i] - 1);
                tpot[tpotCount++] = perToken;
            }
            if (targets is null || (ttft[i] <= targets.TtftSeconds && perToken <= targets.TpotSeconds))
            {
                meeting++;
            }
        }

        var finishes = (double[])_finished.Clone();
        Array.Sort(finishes);
        var steady = makespan > 0 ? n / makespan : 0;
        if (n >= 10)
        {
            var from = n / 5;
            var to = (4 * n + 4) / 5 - 1;
            var span = finishes[to] - finishes[from];
            if (span > 0)
            {
                steady = (to - from) / span;
            }
        }

        var stages = new StageReport[3];
        for (var s = 0; s < 3; s++)
        {
            var busy = 0.0;
            for (var w = 0; w < _workerCount; w++)
            {
                busy += _busySeconds[w, s];
            }
            var workers = _config.Layout.WorkersFor((PipelineStage)s);
            stages[s] = new StageReport(
                (PipelineStage)s,
                workers,
                busy,
                makespan > 0 ? busy / makespan : 0,
                makespan > 0 && workers > 0 ? busy / (makespan * workers) : 0,
                _batches[s] > 0 ? (double)_batchItems[s] / _batches[s] : 0,
                _batches[s],
                Math.Max(_global[s].Peak, _peakLocal[s]))
            {
                WorkSeconds = _workSeconds[s],
            };
        }
        var reports = new WorkerReport[_workerCount];
        for (var w = 0; w < _workerCount; w++)
        {
            double Share(int s) => makespan > 0 ? _busySeconds[w, s] / makespan : 0;
            reports[w] = new WorkerReport(w, _roles[w], Share(E), Share(P), Share(D));
        }

        return new SimulationResult
        {
            Configuration = _config,
            Items = n,
            MakespanSeconds = makespan,
            SharedDevice = _sharing is not null,
            ServiceSeconds = _serviceWork,
            OutputTokensPerSecond = makespan > 0 ? outputTokens / makespan : 0,
            SteadyItemsPerSecond = steady,
            PeakEncoderBatch = _peakEncoder,
            PeakPrefillBatch = _peakPrefill,
            PeakDecoderSequences = _peakDecoder,
            Ttft = LatencySummary.From(ttft, n),
            Tpot = LatencySummary.From(tpot, tpotCount),
            Latency = LatencySummary.From(latency, n),
            Targets = targets,
            ItemsMeetingTargets = meeting,
            Stages = stages,
            Workers = reports,
            Extrapolated = _cost.IsExtrapolated(_config.Encoder.MaxBatchSize * Math.Max(1, _w.MaxTiles), _config.Prefill.MaxBatchSize, _config.DecoderMaxBatch),
        };
    }
}
