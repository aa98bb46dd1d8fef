using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Collects every error of one object, each naming the object, its source and the field path.</summary>
internal sealed class ValidationContext(ConfigObject obj, string source)
{
    private readonly ImmutableArray<ConfigError>.Builder errors = ImmutableArray.CreateBuilder<ConfigError>();

    public void Add(string field, string reason) =>
        errors.Add(new ConfigError(source, obj.Kind.ToString(), obj.Meta.Namespace, obj.Meta.Name, field, reason));

    public ImmutableArray<ConfigError> ToImmutable() => errors.ToImmutable();

    /// <summary>Reports <paramref name="reason"/> when a rule returned one (null means valid).</summary>
    public void Check(string field, string? reason)
    {
        if (reason is not null)
        {
            Add(field, reason);
        }
    }
}
