namespace BnVerify.External;

/// <summary>
/// An external program failed as a program, not as a backward: it could not be started, exited, broke the protocol
/// (a line that is not JSON, a wrong id, a missing or wrongly sized gradient, a value that is not a number), reported an
/// error instead of gradients, or did not answer in time. The message is one self-contained sentence (which program,
/// which request, what happened, the exit code and the tail of its standard error when known); the command line prints it
/// as one line and exits 2. A gradient that is merely wrong, NaN or infinite is not this: it is a verdict.
/// </summary>
public sealed class ExternalProgramException : NotAVerdictException
{
    /// <summary>Creates the exception with its full message.</summary>
    public ExternalProgramException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its full message and the I/O error behind it.</summary>
    public ExternalProgramException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message (for serializers and tools).</summary>
    public ExternalProgramException() : base("the external program failed")
    {
    }

    /// <summary>
    /// The first <see cref="ExternalProgramException"/> in <paramref name="e"/>: itself, or inside an
    /// <see cref="AggregateException"/> (as <c>Parallel.For</c> throws) or an inner exception; null when there is none.
    /// </summary>
    public static ExternalProgramException? Find(Exception? e)
    {
        while (e is not null)
        {
            if (e is ExternalProgramException x) return x;
            if (e is AggregateException a)
            {
                foreach (var inner in a.Flatten().InnerExceptions)
                    if (Find(inner) is { } found) return found;
                return null;
            }
            e = e.InnerException;
        }
        return null;
    }
}
