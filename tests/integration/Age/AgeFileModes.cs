namespace EtcdDr.IntegrationTests.Age;

/// <summary>Unix permission bits as an octal string ("600"), for readable assertions.</summary>
public static class AgeFileModes
{
    public static string Octal(string path)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("these tests run on Linux");
        return Convert.ToString((int)File.GetUnixFileMode(path), 8);
    }
}
