namespace EtcdDr.Storage;

/// <summary>
/// A store that writes through hidden temporary names and renames them when complete (the
/// directory backends). A killed save leaves its temporary file behind; ListAsync hides it (it
/// is never a backup), so without this nobody would ever see or remove it. Prune uses this to
/// delete old ones. S3 and Azure have nothing to list here: an unfinished multipart upload is
/// dropped by a bucket lifecycle rule (AbortIncompleteMultipartUpload), uncommitted Azure blocks
/// by the service after a week.
/// </summary>
public interface ITemporaryListing
{
    /// <summary>Temporary objects whose key (directory part, then the hidden file name) starts with <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<StoreObject> ListTemporaryAsync(string prefix, CancellationToken ct);
}
