using System.Text;
using PkiVault.Age;

namespace PkiVault.Tests.Age;

/// <summary>Files written by the reference age CLI (1.1.1) once, kept here so the check needs no tool.</summary>
public class KnownAnswerTests
{
    private const string SpecIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";

    // printf 'etcd-dr known answer\n' | age -a -r age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj
    private const string ArmoredByAge = """
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSAydW1zL3F1bmdTdjdFQmQ0
        eWNMcVhwMFJINUFsNFNXYkhXNW5NSmgrUEdrCmVkUDVpbzBKL2ZwcmRic3o1b053
        dUdZbmJXY3paaVI1UkNubnZINmtSbGMKLS0tIDI4ZGNRYzVFNmtlR0dLalNMb0VN
        KzNmT2xBU3dFcGJObEtwOTFiNEJNRE0Kxd2DsOUO0STw04YfddJ+kU9OHwOlQjpM
        ZsxYMCByUC+mH4KMyLsSQ2oE9dTA7FpBdK2NE/k=
        -----END AGE ENCRYPTED FILE-----

        """;

    [Fact]
    public void Decrypts_a_file_written_by_the_reference_cli()
    {
        var plain = AgeTestKit.Decrypt(Encoding.ASCII.GetBytes(ArmoredByAge), X25519Identity.Parse(SpecIdentity));
        Assert.Equal("etcd-dr known answer\n", Encoding.ASCII.GetString(plain));
    }

    [Fact]
    public void Same_file_dearmored_decrypts_as_binary()
    {
        var lines = ArmoredByAge.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..^1];
        var binary = Convert.FromBase64String(string.Concat(lines));
        Assert.Equal("etcd-dr known answer\n", Encoding.ASCII.GetString(AgeTestKit.Decrypt(binary, X25519Identity.Parse(SpecIdentity))));
    }
}
