package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench sparse --checkpoints} at a tiny size, for real: embedded broker, MiniCluster, the train job on a
 * hashed FTRL task, on the heap backend and on RocksDB with incremental checkpoints (the model in one value, and with
 * its rows apart). Checks the keys and that the sizes account for the touched rows, never a speed.
 */
class BenchSparseCheckpointsIT {

    static final int ROWS = 400;
    static final int CHECKPOINTS = 3;

    @TempDir
    Path dir;

    @Test
    void measuresCheckpointsOfAHashedTaskOnBothBackendsUnderTheDocumentedKeys() throws Exception {
        Path json = dir.resolve("checkpoints.json");
        CliRun run = CliRun.run("bench", "sparse", "--checkpoints", "--checkpoint-bits", "16",
                "--checkpoint-rows", String.valueOf(ROWS), "--checkpoint-count", String.valueOf(CHECKPOINTS),
                "--checkpoint-backends", "hashmap,rocksdb,rocksdb-rows", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("checkpoint 2^16");

        JsonNode results = new ObjectMapper().readTree(json.toFile());
        assertThat(results.has("packages")).as("--checkpoints runs the checkpoint track alone").isFalse();
        JsonNode dims = results.at("/checkpoint/dims_2_16");
        long rows = dims.at("/rows_touched").asLong();
        assertThat(rows).isGreaterThanOrEqualTo(ROWS);
        assertThat(dims.at("/clicks_before").asLong()).isPositive();
        // The trickle keeps touching new rows while the checkpoints are measured, as many as the machine's pace lets
        // it: a measured checkpoint holds at least the rows touched before and at most those touched by its end.
        long rowsAfter = dims.at("/rows_touched_after").asLong();
        assertThat(rowsAfter).isGreaterThanOrEqualTo(rows);
        // 16 bytes a touched row (index, weight, z, n), whatever the dimension, plus the rest of the job's state
        // (sources' offsets, sinks' transactions, the control topic's broadcast state, metrics): well under 128 KiB.
        // A model written whole would be 2^16 rows x 16 bytes = 1 MiB more.
        assertThat(dims.at("/bytes").asLong()).isGreaterThan(16 * rows).isLessThan(16 * rowsAfter + 128 * 1024);
        assertThat(dims.at("/bytes_max").asLong()).isGreaterThanOrEqualTo(dims.at("/bytes").asLong());
        assertThat(dims.at("/duration_ms").asDouble()).isPositive();
        assertThat(dims.at("/duration_ms_max").asDouble()).isGreaterThanOrEqualTo(dims.at("/duration_ms").asDouble());
        assertThat(dims.at("/checkpoints").asInt()).isEqualTo(CHECKPOINTS);
        assertThat(dims.at("/examples_per_s").asDouble()).isPositive();

        JsonNode rocks = dims.at("/rocksdb_incremental");
        assertThat(rocks.at("/checkpoints").asInt()).isEqualTo(CHECKPOINTS);
        assertThat(rocks.at("/rows_touched").asLong()).isGreaterThanOrEqualTo(ROWS);
        assertThat(rocks.at("/bytes").asLong()).as("full state size on RocksDB").isGreaterThan(16 * rows);
        assertThat(rocks.at("/checkpointed_bytes").asLong()).as("what an incremental checkpoint uploaded").isPositive();
        assertThat(rocks.at("/duration_ms").asDouble()).isPositive();

        JsonNode apart = dims.at("/rocksdb_incremental_rows");
        assertThat(apart.at("/checkpoints").asInt()).isEqualTo(CHECKPOINTS);
        assertThat(apart.at("/rows_touched").asLong()).isGreaterThanOrEqualTo(ROWS);
        assertThat(apart.at("/bytes").asLong()).as("full state size, the rows in blocks").isGreaterThan(16 * rows);
        assertThat(apart.at("/checkpointed_bytes").asLong()).as("what an incremental checkpoint uploaded").isPositive();
        assertThat(apart.at("/examples_per_s").asDouble()).isPositive();
    }

    @Test
    void measuresCheckpointsOfAWideDeepTaskWithItsRowsApartUnderItsOwnKey() throws Exception {
        Path json = dir.resolve("wide-deep.json");
        CliRun run = CliRun.run("bench", "sparse", "--checkpoints", "--lines", "wide_deep", "--checkpoint-bits", "16",
                "--checkpoint-rows", String.valueOf(ROWS), "--checkpoint-count", String.valueOf(CHECKPOINTS),
                "--checkpoint-backends", "rocksdb-rows", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("checkpoint_wide_deep 2^16 rocksdb_incremental_rows");

        JsonNode results = new ObjectMapper().readTree(json.toFile());
        assertThat(results.has("checkpoint")).as("only the task --lines names").isFalse();
        assertThat(results.at("/checkpoint_wide_deep/config/spec").asText()).contains("\"algorithm\":\"wide-deep\"");
        JsonNode apart = results.at("/checkpoint_wide_deep/dims_2_16/rocksdb_incremental_rows");
        assertThat(apart.at("/checkpoints").asInt()).isEqualTo(CHECKPOINTS);
        assertThat(apart.at("/rows_touched").asLong()).isGreaterThanOrEqualTo(ROWS);
        // The wide part's rows (16 bytes each) and the tables' (user and ad, 8 wide: 80 bytes a row seen) in blocks.
        assertThat(apart.at("/bytes").asLong()).as("full state size, the rows in blocks").isGreaterThan(16 * ROWS);
        assertThat(apart.at("/checkpointed_bytes").asLong()).as("what an incremental checkpoint uploaded").isPositive();
        assertThat(apart.at("/examples_per_s").asDouble()).isPositive();
    }
}
