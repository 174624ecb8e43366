package com.mintreplica.backup.jobs.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML document as a tree whose every node knows its line and column, read with Jackson's streaming YAML parser,
 * so that a config problem can be reported where it is. Duplicate keys are problems too.
 */
public final class YamlTree {
    private YamlTree() {
    }

    /** A node of the tree. */
    public sealed interface Node permits MapNode, ListNode, ScalarNode {
        int line();

        int column();

        /** What kind of node this is, for messages: {@code a mapping}, {@code a list}, {@code the text 'x'}. */
        String describe();
    }

    /** One {@code key: value} of a mapping. */
    public record Field(String key, int line, int column, Node value) {
    }

    /** A mapping, keys in document order. */
    public record MapNode(int line, int column, Map<String, Field> fields) implements Node {
        @Override
        public String describe() {
            return "a mapping (key: value)";
        }
    }

    /** A list. */
    public record ListNode(int line, int column, List<Node> items) implements Node {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A scalar; {@code token} tells how YAML typed it (string, integer, float, boolean, null). */
    public record ScalarNode(int line, int column, String text, JsonToken token) implements Node {
        public boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }

        @Override
        public String describe() {
            return switch (token) {
                case VALUE_NULL -> "nothing (null)";
                case VALUE_TRUE, VALUE_FALSE -> "the boolean " + text;
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + text;
                default -> "the text '" + text + "'";
            };
        }
    }

    /**
     * Parses {@code yaml}. Syntax errors and duplicate keys are added to {@code problems}; the result is empty when
     * the document could not be read at all or is empty.
     */
    public static Optional<Node> parse(String yaml, String file, List<ConfigProblem> problems) {
        YAMLFactory factory = YAMLFactory.builder().build();
        try (JsonParser parser = factory.createParser(yaml)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.empty();
            }
            return Optional.of(read(parser, file, problems));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            problems.add(new ConfigProblem(Optional.of(file), at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(),
                    "", "not valid YAML: " + e.getOriginalMessage()));
            return Optional.empty();
        } catch (IOException e) {
            problems.add(new ConfigProblem(Optional.of(file), 0, 0, "", "cannot be read: " + e.getMessage()));
            return Optional.empty();
        }
    }

    private static Node read(JsonParser p, String file, List<ConfigProblem> problems) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        JsonToken token = p.currentToken();
        switch (token) {
            case START_OBJECT: {
                Map<String, Field> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    JsonLocation keyAt = p.currentTokenLocation();
                    String key = p.currentName();
                    p.nextToken();
                    Node value = read(p, file, problems);
                    Field previous = fields.get(key);
                    if (previous != null) {
                        problems.add(new ConfigProblem(Optional.of(file), keyAt.getLineNr(), keyAt.getColumnNr(), key,
                                "the key '" + key + "' appears twice in one mapping (first on line " + previous.line()
                                        + "): keep one"));
                    } else {
                        fields.put(key, new Field(key, keyAt.getLineNr(), keyAt.getColumnNr(), value));
                    }
                }
                return new MapNode(line, column, fields);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(p, file, problems));
                }
                return new ListNode(line, column, items);
            }
            default:
                return new ScalarNode(line, column, token == JsonToken.VALUE_NULL ? "" : p.getText(), token);
        }
    }
}
