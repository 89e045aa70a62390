using System.Numerics;

namespace BnVerify;

/// <summary>
/// The value every output element holds before a backward runs: a quiet NaN with a recognisable payload. An element
/// a backward never writes keeps it, and the checker reports it as "not written" instead of reading a silent zero
/// (which could pass where the exact gradient is 0). A NaN the backward computes itself has the default payload.
/// </summary>
public static class Poison
{
    private const long DoubleBits = 0x7FF8_0000_DEAD_BEEFL;
    private const int SingleBits = 0x7FC0_BEEF;

    /// <summary>The poison value in <typeparamref name="T"/> (double or float; other types get their plain NaN).</summary>
    public static T Value<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return (T)(object)BitConverter.Int64BitsToDouble(DoubleBits);
        if (typeof(T) == typeof(float)) return (T)(object)BitConverter.Int32BitsToSingle(SingleBits);
        return T.NaN;
    }

    /// <summary>True when <paramref name="value"/> (an output widened to float64) is still the poison of double or of float.</summary>
    public static bool Is(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        return bits == DoubleBits || bits == WidenedSingleBits;
    }

    // float → double keeps a quiet NaN's payload (shifted into the wider significand); computed once, the same way the outputs are widened.
    private static readonly long WidenedSingleBits = BitConverter.DoubleToInt64Bits(double.CreateTruncating(BitConverter.Int32BitsToSingle(SingleBits)));
}
