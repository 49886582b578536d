namespace EtcdDr.Drill.Reports;

/// <summary>drill.json: the report as data, the same format rules as the backup manifests.</summary>
public static class DrillReportJson
{
    public static string Render(DrillReport report) => ManifestJson.Serialize(report with { History = [] });

    public static DrillReport Parse(string json, string source) =>
        ManifestJson.Parse<DrillReport>(json, source, "drill report", r => r.Format, DrillReport.CurrentFormat);
}
