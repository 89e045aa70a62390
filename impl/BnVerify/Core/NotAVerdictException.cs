namespace BnVerify;

/// <summary>
/// A failure that is not the implementation's answer being wrong but BnVerify being unable to get an answer at all,
/// for example an external program that died or broke its protocol. The checker does not turn it into a "flawed"
/// verdict: it stops the run, and the command line reports it as one line with exit code 2.
/// </summary>
public abstract class NotAVerdictException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    protected NotAVerdictException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the error behind it.</summary>
    protected NotAVerdictException(string message, Exception inner) : base(message, inner)
    {
    }
}
