package com.mintreplica.backup.jobs.internal;

import com.mintreplica.backup.core.Secret;
import com.mintreplica.backup.core.sink.Sinks;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of messages: every secret a job run resolves is tracked, and each message that leaves the run (log,
 * audit line, result) has their values replaced by {@code ***} and its URIs redacted. A second line of defence: the
 * modules' own messages name no secret already.
 */
public final class Redactor {
    private static final Pattern URI = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s'\"]+");
    private final List<String> secrets = new ArrayList<>();

    /** Remembers {@code secret}'s value, to be replaced in messages; returns it. */
    public synchronized Secret track(Secret secret) {
        String value = secret.reveal();
        if (value.length() >= 3) {
            secrets.add(value);
        }
        return secret;
    }

    /** The message of {@code e} (or its type), made safe. */
    public String message(Throwable e) {
        String text = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
        return redact(text);
    }

    /** {@code text} with tracked secrets and URI credentials replaced by {@code ***}. */
    public synchronized String redact(String text) {
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, "***");
        }
        Matcher m = URI.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(Sinks.redact(m.group())));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
