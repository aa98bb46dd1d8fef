// Each test hosts a whole control plane and up to 100 proxies on two shared cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
