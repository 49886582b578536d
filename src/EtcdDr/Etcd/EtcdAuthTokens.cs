using System.Collections.Concurrent;
using Etcdserverpb;

namespace EtcdDr.Etcd;

/// <summary>
/// etcd auth tokens, one per endpoint: etcd's default "simple" tokens are known only to the member
/// that issued them, so each endpoint gets its own Auth.Authenticate. A token that the member
/// calls invalid (expired, or the member restarted) is replaced once per call.
/// </summary>
internal sealed class EtcdAuthTokens(EtcdTransport transport, EtcdConnectionOptions options)
{
    // etcd's status messages (api/v3rpc/rpctypes, or auth's own errors, which etcd 3.4's Snapshot
    // returns unwrapped as status Unknown: "auth: permission denied"); the codes do not tell them apart.
    private const string UserEmpty = "user name is empty";
    private const string AuthFailed = "authentication failed";
    private const string InvalidToken = "invalid auth token";
    private const string OldAuthRevision = "revision of auth store is old";
    private const string NotEnabled = "authentication is not enabled";
    private const string PermissionDenied = "permission denied";

    private readonly ConcurrentDictionary<string, Lazy<Task<string?>>> _tokens = new();

    /// <summary>Runs one call with the endpoint's token, re-authenticating once when the member
    /// rejects the token, and turns etcd's auth refusals into <see cref="EtcdAuthException"/>.</summary>
    public async Task<T> CallAsync<T>(Uri endpoint, string method, Func<string?, Task<T>> call, CancellationToken ct)
    {
        var token = await TokenAsync(endpoint, ct).ConfigureAwait(false);
        try
        {
            return await call(token).ConfigureAwait(false);
        }
        catch (GrpcException ex) when (options.Credentials is not null && token is not null && IsStaleToken(ex))
        {
            Forget(endpoint, token);
        }
        catch (GrpcException ex) when (IsAuthRefusal(ex))
        {
            throw Refusal(ex, method);
        }

        token = await TokenAsync(endpoint, ct).ConfigureAwait(false);
        try
        {
            return await call(token).ConfigureAwait(false);
        }
        catch (GrpcException ex) when (IsStaleToken(ex) || IsAuthRefusal(ex))
        {
            throw Refusal(ex, method);
        }
    }

    private async Task<string?> TokenAsync(Uri endpoint, CancellationToken ct)
    {
        if (options.Credentials is null)
            return null;
        var key = EtcdConnectionOptions.Name(endpoint);
        var lazy = _tokens.GetOrAdd(key, _ => new Lazy<Task<string?>>(() => AuthenticateAsync(endpoint, ct)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed attempt (member down, interrupted) is not remembered: the next call tries again.
            _tokens.TryRemove(new KeyValuePair<string, Lazy<Task<string?>>>(key, lazy));
            throw;
        }
    }

    private void Forget(Uri endpoint, string token)
    {
        var key = EtcdConnectionOptions.Name(endpoint);
        if (_tokens.TryGetValue(key, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result == token)
            _tokens.TryRemove(new KeyValuePair<string, Lazy<Task<string?>>>(key, lazy));
    }

    private async Task<string?> AuthenticateAsync(Uri endpoint, CancellationToken ct)
    {
        var credentials = options.Credentials!;
        var request = new AuthenticateRequest { Name = credentials.User, Password = credentials.Password };
        try
        {
            var response = await transport.UnaryAsync(endpoint, "/etcdserverpb.Auth/Authenticate", options.EffectiveCallTimeout,
                (client, deadline) => client.AuthenticateAsync(request, null, deadline, ct), ct).ConfigureAwait(false);
            return response.Token;
        }
        catch (GrpcException ex) when (ex.Detail.Contains(NotEnabled, StringComparison.Ordinal))
        {
            // As etcdctl: credentials for a cluster without auth are not an error; calls go without a token.
            return null;
        }
        catch (GrpcException ex) when (ex.Detail.Contains(AuthFailed, StringComparison.Ordinal) || ex.Status is GrpcStatusCode.Unauthenticated or GrpcStatusCode.PermissionDenied)
        {
            throw new EtcdAuthException($"{ex.Endpoint}: authentication failed: etcd refused the password of user '{credentials.User}' (check --password-file / ETCDCTL_PASSWORD and the user name)", credentialsGiven: true, ex);
        }
    }

    private static bool IsStaleToken(GrpcException ex) =>
        ex.Detail.Contains(InvalidToken, StringComparison.Ordinal) || ex.Detail.Contains(OldAuthRevision, StringComparison.Ordinal)
        || ex.Detail.Contains(UserEmpty, StringComparison.Ordinal);

    private static bool IsAuthRefusal(GrpcException ex) =>
        ex.Status is GrpcStatusCode.Unauthenticated or GrpcStatusCode.PermissionDenied
        || ex.Detail.Contains(UserEmpty, StringComparison.Ordinal) || ex.Detail.Contains(AuthFailed, StringComparison.Ordinal)
        || ex.Detail.Contains(PermissionDenied, StringComparison.Ordinal);

    private EtcdAuthException Refusal(GrpcException ex, string method)
    {
        var name = method[(method.LastIndexOf('/') + 1)..];
        if (options.Credentials is not { } credentials)
            return new EtcdAuthException(
                $"{ex.Endpoint}: authentication required: etcd has authentication enabled and refused {name} without a user; " +
                "give --user NAME with --password-file FILE (or ETCDCTL_USER and ETCDCTL_PASSWORD; in a --config file etcd.user and etcd.passwordFile)",
                credentialsGiven: false, ex);
        if (ex.Status is GrpcStatusCode.PermissionDenied || ex.Detail.Contains(PermissionDenied, StringComparison.Ordinal))
            return new EtcdAuthException($"{ex.Endpoint}: permission denied: etcd user '{credentials.User}' may not call {name} (snapshots need the root role)", credentialsGiven: true, ex);
        return new EtcdAuthException($"{ex.Endpoint}: authentication failed for etcd user '{credentials.User}' on {name}: {ex.Detail}", credentialsGiven: true, ex);
    }
}
