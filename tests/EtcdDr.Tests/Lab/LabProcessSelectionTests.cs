using EtcdDr.Lab;

namespace EtcdDr.Tests.Lab;

/// <summary>`lab down` and lose-host kill only what the lab marked (issue 10).</summary>
public sealed class LabProcessSelectionTests
{
    private const string State = "/tmp/etcd-dr-lab";
    private static readonly IReadOnlySet<int> NoneSpared = new HashSet<int>();

    private static LabProcessInfo Process(int pid, params string[] environment) => new(pid, 1, 1000 + pid, false, environment);

    private static string[] LabEnvironment(string state = State, string master = "master-1") =>
        ["PATH=/usr/bin", $"ETCD_DR_LAB_STATE={state}", $"ETCD_DR_LAB_MASTER={master}"];

    [Fact]
    public void Selects_processes_with_both_exact_markers()
    {
        var selected = LabProcessSelection.Select([Process(10, LabEnvironment()), Process(11, "PATH=/usr/bin")], State, null, [], NoneSpared);
        Assert.Equal([10], selected);
    }

    [Fact]
    public void Another_lab_whose_state_path_starts_with_the_same_characters_is_not_selected()
    {
        var selected = LabProcessSelection.Select(
            [Process(10, LabEnvironment(State + "2")), Process(11, LabEnvironment(State + "/sub")), Process(12, LabEnvironment("/tmp/etcd-dr-la"))],
            State, null, [], NoneSpared);
        Assert.Empty(selected);
    }

    [Fact]
    public void An_operator_shell_that_exported_the_state_folder_is_not_the_labs()
    {
        // ETCD_DR_LAB_STATE is also how an operator picks the default --state: an editor started
        // from that shell inherits it, but never the master marker.
        var selected = LabProcessSelection.Select([Process(10, "EDITOR=vim", $"ETCD_DR_LAB_STATE={State}")], State, null, [], NoneSpared);
        Assert.Empty(selected);
    }

    [Fact]
    public void The_caller_and_its_ancestors_are_spared_even_when_they_carry_the_markers()
    {
        var spared = new HashSet<int> { 10, 11 };
        var selected = LabProcessSelection.Select([Process(10, LabEnvironment()), Process(11, LabEnvironment()), Process(12, LabEnvironment())], State, null, [], spared);
        Assert.Equal([12], selected);
    }

    [Fact]
    public void A_recorded_init_is_selected_only_while_its_start_time_matches()
    {
        var init = Process(20);
        var recycled = Process(21);
        var selected = LabProcessSelection.Select([init, recycled], State, null,
            [new ProcessIdentity(20, init.StartTicks), new ProcessIdentity(21, recycled.StartTicks + 1)], NoneSpared);
        Assert.Equal([20], selected);
    }

    [Fact]
    public void Zombies_are_never_selected()
    {
        var selected = LabProcessSelection.Select([Process(10, LabEnvironment()) with { Zombie = true }], State, null, [], NoneSpared);
        Assert.Empty(selected);
    }

    [Fact]
    public void With_a_master_only_that_masters_processes_are_selected()
    {
        var selected = LabProcessSelection.Select(
            [Process(10, LabEnvironment(master: "master-1")), Process(11, LabEnvironment(master: "master-10")), Process(12, LabEnvironment(master: "master-2"))],
            State, "master-1", [], NoneSpared);
        Assert.Equal([10], selected);
    }

    [Fact]
    public void Self_and_ancestors_walks_the_real_parent_chain()
    {
        var spared = LabProcessTable.SelfAndAncestors();
        Assert.Contains(Environment.ProcessId, spared);
        Assert.Contains(LabProcessTable.ParentPid(Environment.ProcessId)!.Value, spared);
        Assert.Contains(1, spared);
    }
}
