package com.mintreplica.backup.core.source;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names are bytes; entry paths are strings. This is the one reversible mapping between them, whatever the
 * JVM's locale: bytes that are valid UTF-8 become their characters, and each byte of a sequence that is not valid
 * UTF-8 becomes the character {@code U+DC80 + (byte - 0x80)}, a lone low surrogate that valid UTF-8 can never
 * produce (Python's {@code surrogateescape}). So {@code bad-\xff.bin} and {@code bad-\xef\xbf\xbd.bin} (the replacement
 * character's own bytes) stay two names, and every name a Linux file system can hold round-trips byte for byte.
 *
 * <p>A string that holds none of those escape characters is plain Unicode ({@link #isUtf8(String)}); {@link
 * #display(String)} shows the escaped bytes as {@code \xff} for messages and listings.
 */
public final class FileNames {
    private static final char ESCAPE_BASE = 0xDC00;

    private FileNames() {
    }

    /** The string of a name (or path) given as bytes; see the class comment. */
    public static String decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /** Like {@link #decode(byte[])} for a range of {@code bytes}. */
    public static String decode(byte[] bytes, int offset, int length) {
        boolean ascii = true;
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        CharBuffer out = CharBuffer.allocate(length);
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    out.put((char) (ESCAPE_BASE + (in.get() & 0xFF)));
                }
            } else {
                throw new IllegalStateException("decoding a name overflowed: " + r);
            }
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }

    /**
     * The bytes of a name (or path): the inverse of {@link #decode(byte[])}. A lone surrogate that is not an escaped
     * byte (no decoded name has one) becomes {@code ?}.
     */
    public static byte[] encode(String name) {
        int n = name.length();
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            if (name.charAt(i) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return name.getBytes(StandardCharsets.ISO_8859_1);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(n * 3);
        int start = 0;
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (isEscapedByte(name, i)) {
                writeUtf8(out, name, start, i);
                out.write(c - ESCAPE_BASE);
                start = i + 1;
            }
        }
        writeUtf8(out, name, start, n);
        return out.toByteArray();
    }

    private static void writeUtf8(java.io.ByteArrayOutputStream out, String s, int from, int to) {
        if (from < to) {
            byte[] b = s.substring(from, to).getBytes(StandardCharsets.UTF_8); // lone surrogates become '?'
            out.write(b, 0, b.length);
        }
    }

    /** Whether {@code name} is plain Unicode: it holds no escaped byte, so its bytes are its UTF-8 encoding. */
    public static boolean isUtf8(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (isEscapedByte(name, i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code name} for people: escaped bytes as {@code \xff}, control characters (a newline in a name) as {@code \n},
     * {@code \t} or {@code \x01}. Not reversible (a name may hold a backslash); for messages and listings only.
     */
    public static String display(String name) {
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            String replacement = isEscapedByte(name, i) ? String.format("\\x%02x", c - ESCAPE_BASE)
                    : c == '\n' ? "\\n" : c == '\t' ? "\\t" : c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : null;
            if (replacement != null && sb == null) {
                sb = new StringBuilder(name.length() + 8).append(name, 0, i);
            }
            if (sb != null) {
                if (replacement != null) {
                    sb.append(replacement);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? name : sb.toString();
    }

    /**
     * The name {@link #display} shows as {@code shown}: {@code \xff} back to the escaped byte (or the control
     * character below 0x20), {@code \n} and {@code \t} back to theirs. Not unambiguous (display leaves a backslash as
     * it is, so a name may hold a literal {@code \xff}): a caller tries the name as given first, then this. It is how
     * an operator names an entry whose name is not UTF-8 in {@code cat} and {@code restore --include}, since the JVM
     * cannot take such bytes from the command line.
     */
    public static String parseDisplayed(String shown) {
        if (shown.indexOf('\\') < 0) {
            return shown;
        }
        StringBuilder sb = new StringBuilder(shown.length());
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            if (c == '\\' && i + 1 < shown.length()) {
                char n = shown.charAt(i + 1);
                if (n == 'n' || n == 't') {
                    sb.append(n == 'n' ? '\n' : '\t');
                    i++;
                    continue;
                }
                if (n == 'x' && i + 3 < shown.length() && isHex(shown.charAt(i + 2)) && isHex(shown.charAt(i + 3))) {
                    int b = Integer.parseInt(shown.substring(i + 2, i + 4), 16);
                    sb.append(b >= 0x80 ? (char) (ESCAPE_BASE + b) : (char) b);
                    i += 3;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Whether the char at {@code i} is an escaped byte, and not the low half of a surrogate pair (a valid character). */
    private static boolean isEscapedByte(String s, int i) {
        char c = s.charAt(i);
        return c >= 0xDC80 && c <= 0xDCFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }
}
