namespace QueueCtl.Tests.Support;

/// <summary>Checks on the attempts table after a worker stopped part-way through a queue.</summary>
internal static class AttemptRows
{
    /// <summary>
    /// Every job that ran has exactly one attempt row, a success; every other row is a prefetched
    /// job handed back at the stop, which is pending again with no attempt charged; nothing else.
    /// </summary>
    public static void AreOnePerRunOrHandBack(TempQueue temp, long ran)
    {
        Assert.Equal(ran, temp.Scalar("SELECT count(*) FROM attempts WHERE outcome = 'succeeded'"));
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM attempts WHERE outcome NOT IN ('succeeded', 'handed_back')"));
        Assert.Equal(0, temp.Scalar("SELECT count(*) FROM (SELECT job_id FROM attempts GROUP BY job_id HAVING count(*) > 1)"));
        Assert.Equal(temp.Scalar("SELECT count(*) FROM attempts WHERE outcome = 'handed_back'"), temp.Scalar("""
            SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id
             WHERE a.outcome = 'handed_back' AND a.number = 1 AND j.state = 'pending' AND j.attempts = 0
            """));
    }
}
