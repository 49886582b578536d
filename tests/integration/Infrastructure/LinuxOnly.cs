using System.Runtime.Versioning;

// Real etcd, loopback address blocks, SIGTERM and Unix file modes: these tests run on Linux only.
[assembly: SupportedOSPlatform("linux")]
