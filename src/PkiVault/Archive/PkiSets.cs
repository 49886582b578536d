namespace PkiVault.Archive;

/// <summary>Loads a whole PKI set for checking, from a live tree or from an archive.</summary>
public static class PkiSets
{
    public static async Task<IReadOnlyList<PkiFileAnalysis>> FromSourceAsync(IPkiSource source, Action<string> note, CancellationToken cancellationToken)
    {
        var analyses = new List<PkiFileAnalysis>();
        await foreach (var file in source.EnumerateAsync(note, cancellationToken).ConfigureAwait(false))
        {
            var stream = await file.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                analyses.Add(PkiContentAnalyzer.Analyze(file.Path, buffer.ToArray()));
            }
        }
        return analyses;
    }

    public static async Task<(PkiManifest Manifest, IReadOnlyList<PkiFileAnalysis> Files)> FromArchiveAsync(Stream tar, CancellationToken cancellationToken)
    {
        var analyses = new List<PkiFileAnalysis>();
        var manifest = await PkiArchiveReader.ReadAsync(tar, onManifest: null, file =>
        {
            analyses.Add(PkiContentAnalyzer.Analyze(file.Record.Path, file.Data));
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return (manifest, analyses);
    }
}
