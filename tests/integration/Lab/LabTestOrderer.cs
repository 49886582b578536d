using Xunit.Abstractions;
using Xunit.Sdk;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>Runs a lab test class's tests in the order of their <see cref="StepAttribute"/>: the lab is shared, and the last step breaks it for good.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

public sealed class StepOrderer : ITestCaseOrderer
{
    public const string Name = "EtcdDr.IntegrationTests.Lab.StepOrderer";
    public const string Assembly = "EtcdDr.IntegrationTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName!)
            .FirstOrDefault()?.GetNamedArgument<int>(nameof(StepAttribute.Order)) ?? int.MaxValue);
}
