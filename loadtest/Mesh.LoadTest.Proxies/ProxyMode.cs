namespace Mesh.LoadTest.Proxies;

/// <summary>The ADS variant a simulated proxy speaks: incremental (delta) or state-of-the-world.</summary>
public enum ProxyMode
{
    Delta,
    Sotw,
}
