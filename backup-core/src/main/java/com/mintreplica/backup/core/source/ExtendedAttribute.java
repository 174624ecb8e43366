package com.mintreplica.backup.core.source;

import java.util.Arrays;
import java.util.Objects;

/**
 * One extended attribute of a file: its full name with the namespace ({@code user.mime_type},
 * {@code security.capability}, {@code system.posix_acl_access}) and its value as stored, byte for byte. POSIX ACLs
 * are the attributes {@code system.posix_acl_access} and {@code system.posix_acl_default} in the kernel's binary form.
 *
 * @param name the attribute's name (a {@link FileNames} string: non-UTF-8 bytes are escaped)
 * @param value the value's bytes; copied in and out, so an attribute never changes
 */
public record ExtendedAttribute(String name, byte[] value) {
    /** The access ACL of a file or directory. */
    public static final String ACL_ACCESS = "system.posix_acl_access";
    /** The default ACL of a directory, which new entries in it inherit. */
    public static final String ACL_DEFAULT = "system.posix_acl_default";

    public ExtendedAttribute {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an extended attribute's name is empty");
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The namespace: the part of the name before the first dot ({@code user}, {@code security}, ...). */
    public String namespace() {
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    /** Whether this is one of the two POSIX ACLs. */
    public boolean isAcl() {
        return name.equals(ACL_ACCESS) || name.equals(ACL_DEFAULT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExtendedAttribute a && a.name.equals(name) && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return FileNames.display(name) + " (" + value.length + " bytes)";
    }
}
