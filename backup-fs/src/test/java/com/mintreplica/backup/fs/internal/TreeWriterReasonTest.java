package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/**
 * A restore's warnings name the path themselves and then say what went wrong in words, not in an exception's text
 * (explorers' E-F8: an immutable file's owner warning read "java.nio.file.FileSystemException: /t/same.txt: Operation
 * not permitted").
 */
class TreeWriterReasonTest {
    @Test
    void a_warning_says_what_went_wrong_without_the_exception_class_or_the_path() {
        assertThat(TreeWriter.reason(new FileSystemException("/t/same.txt", null, "Operation not permitted")))
                .isEqualTo("operation not permitted");
        assertThat(TreeWriter.reason(new AccessDeniedException("/t/same.txt"))).isEqualTo("permission denied");
        assertThat(TreeWriter.reason(new UnsupportedOperationException("no unix view"))).isEqualTo("no unix view");
    }
}
