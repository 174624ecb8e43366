package com.mintreplica.backup.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the small JSON documents repository objects are made of (the config, key objects, writer lists, writer
 * keys) into plain Java values: objects become {@code Map<String, Object>} (in document order), arrays
 * {@code List<Object>}, strings {@code String}, integers {@code Long}, other numbers {@code Double}, {@code true} and
 * {@code false} {@code Boolean}, {@code null} {@code null}. One reader for the core and the adapters that store such
 * objects, so they agree on what a document holds; it hides the JSON library it runs on.
 *
 * <p>The typed getters throw {@link IllegalArgumentException} naming the field that is missing or of the wrong type;
 * callers turn it into the error their object deserves (a corrupt object, an invalid file).
 */
public final class JsonTree {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonTree() {
    }

    /**
     * Parses {@code json}, which must hold exactly one JSON object (white space around it aside).
     *
     * @throws IOException when it is not well-formed JSON, not an object, or something follows the object
     */
    public static Map<String, Object> parseObject(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("expected a JSON object");
            }
            Map<String, Object> out = object(p);
            if (p.nextToken() != null) {
                throw new IOException("something follows the JSON object");
            }
            return out;
        } catch (JsonProcessingException e) {
            // the message, not the JSON library's exception type, is what callers need
            throw new IOException(e.getOriginalMessage() + " (at " + e.getLocation().offsetDescription() + ")");
        }
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            out.put(name, value(p, p.nextToken()));
        }
        return out;
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                JsonToken next;
                while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                    list.add(value(p, next));
                }
                yield list;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected JSON token " + t);
        };
    }

    /** The string field {@code key} of {@code object} (an absent object counts as one without the field). */
    public static String string(Map<String, Object> object, String key) {
        if (!(field(object, key) instanceof String s)) {
            throw new IllegalArgumentException("field '" + key + "' is missing or not a string");
        }
        return s;
    }

    /** The integer field {@code key} of {@code object}, which must fit an {@code int}. */
    public static int intValue(Map<String, Object> object, String key) {
        if (!(field(object, key) instanceof Long l)) {
            throw new IllegalArgumentException("field '" + key + "' is missing or not a whole number");
        }
        if (l != (int) l.longValue()) {
            throw new IllegalArgumentException("field '" + key + "' is out of range: " + l);
        }
        return (int) l.longValue();
    }

    /** The object field {@code key} of {@code object}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Map<String, Object> object, String key) {
        if (!(field(object, key) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("field '" + key + "' is missing or not an object");
        }
        return (Map<String, Object>) m;
    }

    /** The array field {@code key} of {@code object}, unmodifiable. */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> object, String key) {
        if (!(field(object, key) instanceof List<?> l)) {
            throw new IllegalArgumentException("field '" + key + "' is missing or not a list");
        }
        return Collections.unmodifiableList((List<Object>) l);
    }

    private static Object field(Map<String, Object> object, String key) {
        return object == null ? null : object.get(key);
    }
}
