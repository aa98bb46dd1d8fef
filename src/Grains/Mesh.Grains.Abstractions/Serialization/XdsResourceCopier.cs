using Mesh.Model.Translation;
using Orleans.Serialization.Cloning;

namespace Mesh.Grains.Serialization;

/// <summary><see cref="XdsResource"/> is immutable: in-silo calls pass it by reference (no copy of the body).</summary>
[Orleans.RegisterCopier]
public sealed class XdsResourceCopier : IDeepCopier<XdsResource>
{
    public XdsResource? DeepCopy(XdsResource? input, CopyContext context) => input;
}
