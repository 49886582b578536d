namespace EtcdDr.Etcd;

/// <summary>
/// etcd refused a call for want of authentication (no credentials given) or refused the
/// credentials given. Not an endpoint failure: every member shares one auth store, so trying the
/// next member cannot help, and the message must not read like "unreachable".
/// </summary>
/// <remarks>Exit codes: authentication required is 2 (the command or config lacks the user and
/// password it needs); refused credentials are 4, like a TLS client certificate the server refuses
/// (3 stays "the data failed a check").</remarks>
public sealed class EtcdAuthException(string message, bool credentialsGiven, Exception? inner = null)
    : DrException(message, credentialsGiven ? FailureKind.Unreachable : FailureKind.Usage, inner)
{
    public bool CredentialsGiven { get; } = credentialsGiven;
}
