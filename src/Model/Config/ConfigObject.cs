using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>Base of every parsed Kubernetes or Istio object.</summary>
public abstract record ConfigObject(ObjectMeta Meta)
{
    public abstract ConfigKind Kind { get; }

    public ConfigKey Key => new(Kind, Meta.Namespace, Meta.Name);

    /// <summary>
    /// Field paths of the object's <c>spec</c> that Mesh does not translate (e.g.
    /// <c>spec.http[0].mirror</c>): the object is served without them, and each is reported as a
    /// warning (<see cref="ConfigWarnings"/>). Empty for kinds whose spec Mesh reads only in part by
    /// design (Kubernetes Services, Pods, EndpointSlices, Namespaces).
    /// </summary>
    public ImmutableArray<string> Unsupported { get; init; } = [];
}
