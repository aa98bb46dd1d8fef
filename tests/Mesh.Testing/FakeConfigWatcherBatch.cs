using Mesh.Model.Translation;

namespace Mesh.Testing;

/// <summary>Changes applied inside <see cref="FakeConfigWatcher.Batch"/>, before any Changed is raised.</summary>
public sealed class FakeConfigWatcherBatch
{
    private readonly FakeConfigWatcher _watcher;

    internal FakeConfigWatcherBatch(FakeConfigWatcher watcher) => _watcher = watcher;

    public FakeConfigWatcherBatch Set(string typeUrl, params XdsResource[] resources)
    {
        _watcher.SetUnlocked(typeUrl, resources);
        return this;
    }
}
