package com.mintreplica.backup.core.internal;

import java.util.HexFormat;

/** Lower-case hexadecimal, as object names and manifests write it: the JDK's {@link HexFormat}. */
public final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    public static String encode(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    /** Decodes hexadecimal of either case; throws IllegalArgumentException naming the text that is not hex. */
    public static byte[] decode(String hex) {
        try {
            return HEX.parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not hex: " + hex, e);
        }
    }

    /** Whether {@code s} is exactly {@code length} lower-case hexadecimal digits (as object names are). */
    public static boolean isHex(String s, int length) {
        return s.length() == length && s.chars().allMatch(c -> HexFormat.isHexDigit(c) && !Character.isUpperCase(c));
    }
}
