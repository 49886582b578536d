using System.Net;
using System.Text;
using EtcdDr.Storage;

namespace EtcdDr.Tests.Storage;

/// <summary>Azure answers 503 ServerBusy when it throttles and 500 OperationTimedOut when it is briefly unwell: retried, then "unavailable".</summary>
public sealed class AzureRetryTests
{
    /// <summary>Answers each request with the next scripted status (the last repeats), recording what came in.</summary>
    private sealed class ScriptedHandler(params (HttpStatusCode Status, string? Code)[] script) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string Uri, string? Date, byte[] Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Requests.Add((request.Method, request.RequestUri!.ToString(), request.Headers.GetValues("x-ms-date").Single(), body));
            var (status, code) = script[Math.Min(Requests.Count - 1, script.Length - 1)];
            var response = new HttpResponseMessage(status) { Content = new StringContent(code is null ? "<?xml version=\"1.0\"?><EnumerationResults><Blobs/></EnumerationResults>" : $"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>scripted</Message></Error>") };
            response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/xml"); // as the service answers
            if (code is not null)
                response.Headers.Add("x-ms-error-code", code);
            return response;
        }
    }

    private static AzureBlobStore Store(ScriptedHandler handler) => new(
        new AzureBlobStoreOptions("acct", "backups", "", new Uri("http://127.0.0.1:1/acct"), new AzureCredential.SharedKey("acct", new byte[32]))
        {
            RetryDelays = [TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(3)],
        }, handler);

    private static Task WriteAsync(AzureBlobStore store, byte[] data) => store.WriteAsync("k.db", (s, ct) => s.WriteAsync(data, ct).AsTask(), default);

    [Fact]
    public async Task A_put_answered_server_busy_is_sent_again_with_the_same_body_and_succeeds()
    {
        var handler = new ScriptedHandler((HttpStatusCode.ServiceUnavailable, "ServerBusy"), (HttpStatusCode.InternalServerError, "OperationTimedOut"), (HttpStatusCode.Created, null));
        await using var store = Store(handler);
        var data = Encoding.ASCII.GetBytes("snapshot bytes");
        await WriteAsync(store, data);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(data, r.Body));
        Assert.All(handler.Requests, r => Assert.Equal(HttpMethod.Put, r.Method));
    }

    [Fact]
    public async Task A_service_that_stays_busy_is_unavailable_not_full()
    {
        var handler = new ScriptedHandler((HttpStatusCode.ServiceUnavailable, "ServerBusy"));
        await using var store = Store(handler);
        var ex = await Assert.ThrowsAsync<DrException>(() => WriteAsync(store, [1, 2, 3]));
        Assert.Equal(4, handler.Requests.Count); // the first try and three retries
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("unavailable", ex.Message);
        Assert.Contains("ServerBusy", ex.Message);
        Assert.Contains("4 attempts", ex.Message);
        Assert.DoesNotContain("refused to store more", ex.Message);
    }

    [Fact]
    public async Task A_listing_is_retried_on_operation_timed_out()
    {
        var handler = new ScriptedHandler((HttpStatusCode.InternalServerError, "OperationTimedOut"), (HttpStatusCode.OK, null));
        await using var store = Store(handler);
        var listed = new List<StoreObject>();
        await foreach (var o in store.ListAsync("prod/", default))
            listed.Add(o);
        Assert.Empty(listed); // the scripted answer is an empty container
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(HttpMethod.Get, r.Method));
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        var handler = new ScriptedHandler((HttpStatusCode.BadRequest, "InvalidBlockList"));
        await using var store = Store(handler);
        var ex = await Assert.ThrowsAsync<DrException>(() => WriteAsync(store, [1]));
        Assert.Single(handler.Requests);
        Assert.Equal(FailureKind.General, ex.Kind);
    }

    [Fact]
    public async Task A_limit_is_still_reported_as_refusing_to_store_more()
    {
        var handler = new ScriptedHandler((HttpStatusCode.Conflict, "BlockCountExceedsLimit"));
        await using var store = Store(handler);
        var ex = await Assert.ThrowsAsync<DrException>(() => WriteAsync(store, [1]));
        Assert.Single(handler.Requests);
        Assert.Contains("refused to store more", ex.Message);
    }
}
