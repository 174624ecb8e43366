package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.retention.RetentionDecision;
import com.mintreplica.backup.core.retention.RetentionPolicy;
import com.mintreplica.backup.core.source.SourceId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link RetentionPolicy} must have: a decision that partitions the group, gives every kept
 * snapshot a reason, and does not depend on the order of the input. Extend it with the policy under test:
 *
 * <pre>{@code
 * class KeepDailyTest extends RetentionPolicyContract {
 *     protected RetentionPolicy newPolicy() { return Retention.builder().keepDaily(7).build(); }
 * }
 * }</pre>
 */
public abstract class RetentionPolicyContract {

    protected abstract RetentionPolicy newPolicy();

    /** A snapshot at {@code time} with {@code tags}, for building groups. */
    public static Snapshot snapshot(String id, Instant time, String... tags) {
        return new Snapshot(id, time, "host", new SourceId("test", "group"), Optional.empty(), Set.of(tags),
                Optional.empty(), new Snapshot.Stats(1, 1, 1, 1, 1, 1), Map.of(), List.of(), "test");
    }

    /** {@code n} snapshots at random times over about two years, some tagged. */
    protected static List<Snapshot> randomGroup(long seed, int n) {
        Random random = new Random(seed);
        Instant start = Instant.parse("2024-01-01T00:00:00Z");
        List<Snapshot> group = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Instant t = start.plus(Duration.ofMinutes(random.nextInt(2 * 365 * 24 * 60)));
            group.add(random.nextInt(10) == 0 ? snapshot("s" + i, t, "keep") : snapshot("s" + i, t));
        }
        return group;
    }

    /** Five fixed groups (seeds 1 to 5): the same input on every run, so a failure can be reproduced. */
    @RepeatedTest(5)
    void every_snapshot_is_either_kept_or_removed(org.junit.jupiter.api.RepetitionInfo repetition) {
        List<Snapshot> group = randomGroup(repetition.getCurrentRepetition(), 300);
        RetentionDecision decision = newPolicy().apply(group);
        Set<String> kept = new HashSet<>();
        decision.kept().forEach(k -> kept.add(k.snapshot().id()));
        Set<String> removed = new HashSet<>();
        decision.removed().forEach(s -> removed.add(s.id()));
        assertThat(kept).doesNotContainAnyElementsOf(removed);
        Set<String> all = new HashSet<>(kept);
        all.addAll(removed);
        assertThat(all).hasSize(group.size());
        assertThat(decision.kept().size() + decision.removed().size()).isEqualTo(group.size());
    }

    @Test
    void every_kept_snapshot_has_a_reason() {
        RetentionDecision decision = newPolicy().apply(randomGroup(42, 200));
        assertThat(decision.kept()).allSatisfy(k -> assertThat(k.reasons()).isNotEmpty().allSatisfy(r -> assertThat(r).isNotBlank()));
    }

    @Test
    void the_order_of_the_input_does_not_matter() {
        List<Snapshot> group = randomGroup(7, 250);
        RetentionDecision first = newPolicy().apply(group);
        List<Snapshot> shuffled = new ArrayList<>(group);
        Collections.shuffle(shuffled, new Random(3));
        RetentionDecision second = newPolicy().apply(shuffled);
        assertThat(ids(second)).isEqualTo(ids(first));
    }

    @Test
    void an_empty_group_gives_an_empty_decision() {
        RetentionDecision decision = newPolicy().apply(List.of());
        assertThat(decision.kept()).isEmpty();
        assertThat(decision.removed()).isEmpty();
    }

    private static Set<String> ids(RetentionDecision d) {
        Set<String> out = new HashSet<>();
        d.kept().forEach(k -> out.add(k.snapshot().id()));
        return out;
    }
}
