// The end-to-end tests start real silos, Python clients and backends and measure live behaviour
// on two shared cores; running them one at a time keeps timings and traffic shares meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
