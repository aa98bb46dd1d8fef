namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A list whose paging never ends, as a broken server or a proxy that drops the <c>continue</c>
/// parameter gives (<see cref="FakeKubeApiServer.BreakPaging"/>): every request, whatever token it
/// sends, gets the first page again, with a continue token.
/// </summary>
public enum KubePagingFault
{
    /// <summary>Pages as the real server does.</summary>
    None,

    /// <summary>Every page carries a new continue token, so no two in a row are the same.</summary>
    EndlessTokens,

    /// <summary>Every page carries the same continue token.</summary>
    RepeatedToken,
}
