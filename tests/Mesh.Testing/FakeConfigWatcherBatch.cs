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

    /// <summary>Marks the type's set as still loading or complete without raising Changed for it.</summary>
    public FakeConfigWatcherBatch SetComplete(string typeUrl, bool complete)
    {
        _watcher.SetCompleteUnlocked(typeUrl, complete);
        return this;
    }
}
