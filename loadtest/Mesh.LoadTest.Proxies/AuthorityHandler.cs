namespace Mesh.LoadTest.Proxies;

/// <summary>Sets the request's Host (HTTP/2 <c>:authority</c>) to a fixed value.</summary>
internal sealed class AuthorityHandler(string authority) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Host = authority;
        return base.SendAsync(request, cancellationToken);
    }
}
