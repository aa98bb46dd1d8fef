using System.Globalization;

namespace Mesh.Ingest.Kubernetes;

/// <summary>
/// Reads every page of one list. A page whose continue token is null, empty or blank is the last: the
/// API server writes <c>"continue": ""</c> there for custom resources, and sending "" back would list
/// page one again, forever. A list that does not end fails with <see cref="KubeListPagingException"/>:
/// the same token twice in a row, or more than <see cref="KubeInformerOptions.MaxListPages"/> pages.
/// </summary>
internal static class KubeListPager
{
    /// <summary>The knob that caps the pages, as configuration names it.</summary>
    public const string MaxListPagesKnob = KubernetesSourceOptions.Section + ":Informer:" + nameof(KubeInformerOptions.MaxListPages);

    /// <summary>The items of every page and the list's resourceVersion.</summary>
    public static async Task<(List<KubeItem> Items, string ResourceVersion)> ListAsync(
        IKubeApi api, KubeKind kind, string version, KubeInformerOptions options, CancellationToken cancellationToken)
    {
        var items = new List<KubeItem>();
        string? sent = null;
        for (var pages = 1; ; pages++)
        {
            var page = await api.ListAsync(kind, version, sent, options.PageSize, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            // KubeList already reads "" as the end; asked again here, as this is the loop that would spin.
            if (string.IsNullOrWhiteSpace(page.Continue))
            {
                return (items, page.ResourceVersion);
            }
            if (page.Continue == sent)
            {
                throw new KubeListPagingException(KubeListPagingException.RepeatedContinue, string.Create(CultureInfo.InvariantCulture,
                    $"the list of {kind.Resource} got the same continue token for pages {pages - 1} and {pages}: the API server is not paging (does a proxy in front of it drop the continue parameter?)"));
            }
            if (pages >= options.MaxListPages)
            {
                throw new KubeListPagingException(KubeListPagingException.TooManyPages, string.Create(CultureInfo.InvariantCulture,
                    $"the list of {kind.Resource} did not end after {pages} pages of {options.PageSize} ({MaxListPagesKnob} is {options.MaxListPages}): the API server kept sending a continue token. If there really are more than {(long)pages * options.PageSize} {kind.Resource}, raise {MaxListPagesKnob}"));
            }
            sent = page.Continue;
        }
    }
}
