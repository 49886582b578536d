using EtcdDr.Etcd;
using Google.Protobuf;

namespace EtcdDr.Tests.Etcd;

public class EndpointParsingTests
{
    [Fact]
    public void Adds_a_scheme_like_etcdctl()
    {
        var plain = EtcdConnectionOptions.ParseEndpoints(["127.0.0.1:2379,10.0.0.2:2379"], tls: false);
        Assert.Equal(["http://127.0.0.1:2379/", "http://10.0.0.2:2379/"], plain.Select(u => u.ToString()));
        var tls = EtcdConnectionOptions.ParseEndpoints(["127.0.0.1:2379"], tls: true);
        Assert.Equal("https://127.0.0.1:2379/", tls[0].ToString());
    }

    [Fact]
    public void Keeps_an_explicit_scheme_and_drops_paths() =>
        Assert.Equal("https://etcd-1:2379/", EtcdConnectionOptions.ParseEndpoints(["https://etcd-1:2379/v3"], tls: false)[0].ToString());

    [Theory]
    [InlineData("")]
    [InlineData("ftp://x:1")]
    [InlineData("justahost")]
    public void Refuses_what_is_not_an_endpoint(string raw)
    {
        var ex = Assert.Throws<DrException>(() => EtcdConnectionOptions.ParseEndpoints([raw], tls: false));
        Assert.Equal(FailureKind.Usage, ex.Kind);
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("/registry/", "/registry0")]
    [InlineData("a\u00ff", "b")]
    public void Prefix_end(string prefix, string expected) =>
        Assert.Equal(expected, EtcdClient.PrefixEnd(ByteString.CopyFrom(System.Text.Encoding.Latin1.GetBytes(prefix))).ToString(System.Text.Encoding.Latin1));

    [Fact]
    public void Prefix_end_of_all_ff_is_the_whole_keyspace_from_there() =>
        Assert.Equal(new byte[] { 0 }, EtcdClient.PrefixEnd(ByteString.CopyFrom(0xff, 0xff)).ToByteArray());
}

public class EndpointDefaultPortTests
{
    [Theory]
    [InlineData("https://etcd-1", 2379)]
    [InlineData("http://10.0.0.1/", 2379)]
    [InlineData("https://[::1]", 2379)]
    [InlineData("https://etcd-1:443", 443)]
    [InlineData("https://[::1]:2381", 2381)]
    public void A_url_without_a_port_means_etcds_port(string raw, int port) =>
        Assert.Equal(port, EtcdConnectionOptions.ParseEndpoints([raw], tls: false)[0].Port);

    [Fact]
    public void Several_causes_stay_on_one_line()
    {
        var line = Failures.Summarize("no etcd endpoint answered", ["https://a:2379: connection refused", "https://b:2379: TLS: bad\nsecond line"]);
        Assert.Equal("no etcd endpoint answered: https://a:2379: connection refused; https://b:2379: TLS: bad second line", line);
    }
}
