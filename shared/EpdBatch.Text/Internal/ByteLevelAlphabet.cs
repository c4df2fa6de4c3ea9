namespace EpdBatch.Text.Internal;

/// <summary>
/// GPT-2's reversible byte-to-character map. Byte-level BPE vocabularies store tokens in this alphabet so that
/// every byte has a printable stand-in and no token contains whitespace or control characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = BuildCharToByte(s_byteToChar);

    public static char ToChar(byte value) => s_byteToChar[value];

    public static bool TryToByte(char c, out byte value) => s_charToByte.TryGetValue(c, out value);

    public static string Encode(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = utf8.Length <= 512 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            chars[i] = s_byteToChar[utf8[i]];
        }

        return new string(chars);
    }

    /// <summary>Maps text to its UTF-8 bytes spelled in the byte-level alphabet.</summary>
    public static string EncodeText(string text)
    {
        var byteCount = System.Text.Encoding.UTF8.GetByteCount(text);
        Span<byte> buffer = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        System.Text.Encoding.UTF8.GetBytes(text, buffer);
        return Encode(buffer);
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var printable = new bool[256];
        for (var b = '!'; b <= '~'; b++)
        {
            printable[b] = true;
        }

        for (var b = '\u00A1'; b <= '\u00AC'; b++)
        {
            printable[b] = true;
        }

        for (var b = '\u00AE'; b <= '\u00FF'; b++)
        {
            printable[b] = true;
        }

        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[b] = printable[b] ? (char)b : (char)next++;
        }

        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte(char[] byteToChar)
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
        {
            map[byteToChar[b]] = (byte)b;
        }

        return map;
    }
}
