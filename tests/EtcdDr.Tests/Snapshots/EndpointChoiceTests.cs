using EtcdDr.Etcd;
using Etcdserverpb;
using EtcdDr.Snapshots;

namespace EtcdDr.Tests.Snapshots;

public class EndpointChoiceTests
{
    private static EndpointStatus Member(int n, ulong leader, ulong index, bool learner = false, bool alarm = false)
    {
        var status = new StatusResponse { Header = new ResponseHeader { MemberId = (ulong)n }, Leader = leader, RaftIndex = index, IsLearner = learner };
        if (alarm)
            status.Errors.Add("NOSPACE");
        return new EndpointStatus(new Uri($"http://127.0.0.{n}:2379"), status, null);
    }

    [Fact]
    public void Followers_first_most_caught_up_first_leader_then_learners_and_alarms_last()
    {
        var down = new EndpointStatus(new Uri("http://127.0.0.9:2379"), null, new GrpcException(GrpcStatusCode.Unavailable, "down", "x"));
        var ordered = EndpointChoice.Order([
            Member(1, leader: 1, index: 100),
            Member(2, leader: 1, index: 90),
            Member(3, leader: 1, index: 99),
            Member(4, leader: 1, index: 120, learner: true),
            Member(5, leader: 1, index: 150, alarm: true),
            down,
        ]);
        Assert.Equal([3ul, 2ul, 1ul, 4ul, 5ul], ordered.Select(e => e.Status!.Header.MemberId));
    }

    [Fact]
    public void Nobody_answered_gives_nothing() =>
        Assert.Empty(EndpointChoice.Order([new EndpointStatus(new Uri("http://127.0.0.1:1"), null, new GrpcException(GrpcStatusCode.Unavailable, "x", "y"))]));
}
