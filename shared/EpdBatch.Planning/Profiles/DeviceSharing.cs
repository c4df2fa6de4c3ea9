namespace EpdBatch.Planning.Profiles;

/// <summary>
/// A device that every replica of a deployment runs on at once, as the stage processes of one CPU machine share its
/// cores. The profile's costs are each forward alone, using t = min(<see cref="Threads"/>, <see cref="Cores"/>)
/// cores; while <c>k</c> forwards run together they ask for k × t cores of <see cref="Cores"/>, and each progresses
/// at min(1, <see cref="Cores"/> / (k × t)) of its alone speed (processor sharing: the scheduler
/// shares the cores evenly among threads, and sharing itself wastes nothing). A profiler records it on a CPU; GPU
/// profiles leave it out (one device per replica).
/// </summary>
/// <param name="Cores">Cores of the machine the profile was taken on (and the stages run on).</param>
/// <param name="Threads">Threads one forward uses (torch's intra-op threads; the services' OMP_NUM_THREADS).</param>
public sealed record DeviceSharing(int Cores, int Threads)
{
    /// <summary>Progress per second of each of <paramref name="running"/> forwards in progress, as a share of its alone speed.</summary>
    public double Rate(int running) => Rate(running, 0);

    /// <summary>
    /// The same with <paramref name="serviceTasks"/> one-thread pieces of the services' own work (<see cref="ServiceCost"/>)
    /// in progress beside the forwards: every thread gets the same share of the cores.
    /// </summary>
    public double Rate(int running, int serviceTasks)
    {
        var threads = (long)Math.Max(0, running) * Math.Min(Threads, Cores) + Math.Max(0, serviceTasks);
        return threads <= 0 ? 1 : Math.Min(1, (double)Cores / threads);
    }

    public void Validate()
    {
        if (Cores < 1 || Threads < 1)
        {
            throw new InvalidDataException("profile: sharedDevice needs cores and threads of at least 1");
        }
    }
}
