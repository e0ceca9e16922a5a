package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.TouchedRows;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A wide and deep model's rows apart ({@link WideDeepModel#rowsApart}): the wide part's rows, then each table's, in
 * one index space; the rest (network, batch-norm statistics, optimizer, counts, spec) in the rowless bytes.
 */
class WideDeepRowsTest {

  /** 2^8 + 1 wide rows of FTRL for 3 classes (3 × 3 floats), then two tables of 40 rows of dim 4 (4 + 8 floats). */
  static final String SPEC = "{\"algorithm\":\"wide-deep\",\"numClasses\":3,"
      + "\"hashing\":{\"bits\":8,\"fields\":[\"a\",\"b\",\"x\"]},"
      + "\"embeddings\":{\"dim\":4,\"buckets\":40,\"combiner\":\"mean\",\"fields\":[\"a\",\"b\"],\"numeric\":[\"x\"],"
      + "\"learningRate\":0.1,\"l2\":0.01},"
      + "\"layers\":[{\"units\":8,\"activation\":\"relu\",\"init\":\"he-normal\",\"dropout\":0.25,\"batchNorm\":true}],"
      + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.1},"
      + "\"standardize\":false,\"batchSize\":8,\"seed\":7}";
  private static final int WIDE_ROWS = 257;

  private static WideDeepBatch batch(ModelSpec spec, Random random, int[] labels) {
    WideDeepBatch batch = new WideDeepBatch(spec);
    for (int r = 0; r < labels.length; r++) {
      int a = random.nextInt(30);
      int b = random.nextInt(30);
      batch.add(Map.of("a", "a" + a, "b", "b" + b, "x", random.nextFloat()));
      labels[r] = (a + b) % 3;
    }
    return batch;
  }

  private static int[] sorted(TouchedRows rows) {
    rows.sort();
    return IntStream.range(0, rows.size()).map(rows::row).toArray();
  }

  @Test
  void rowsCopiedInBlocksAcrossThePartsRebuildTheModelBitForBit() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    WideDeepModel model = WideDeepModel.create(spec);
    RowsApart rows = model.rowsApart();
    assertThat(model.rowsApart()).as("one holder view a model").isSameAs(rows);
    assertThat(rows.rows()).isEqualTo(WIDE_ROWS + 2 * 40);
    TouchedRows changed = rows.changedRows();
    Random random = new Random(3);
    int[] labels = new int[8];
    WideDeepBatch first = batch(spec, random, labels);
    model.trainMinibatch(first, labels, null);
    int[] stepped = sorted(rows.changedRows());
    assertThat(IntStream.of(stepped).boxed().toList()).as("the wide part's biases and rows of each table")
        .contains(WIDE_ROWS - 1).anyMatch(r -> r >= WIDE_ROWS && r < WIDE_ROWS + 40).anyMatch(r -> r >= WIDE_ROWS + 40);
    var sparse = first.wide();
    int[] wideRows = IntStream.concat(IntStream.of(sparse.indices()).limit(sparse.rowStart(sparse.rows())),
        IntStream.of(WIDE_ROWS - 1)).distinct().sorted().toArray();
    assertThat(IntStream.of(stepped).filter(r -> r < WIDE_ROWS).toArray()).as("the wide part's rows, as stepped")
        .containsExactly(wideRows);
    changed.clear();
    for (int step = 0; step < 6; step++) {
      model.trainMinibatch(batch(spec, random, labels), labels, null);
    }
    assertThat(rows.changedRows().size()).as("rows of the steps since the clear").isPositive();

    assertThat(rows.copyRows(250, 20)).as("7 wide rows of 9 floats, 13 table rows of 12")
        .hasSize(7 * 9 + 13 * 12);
    for (int block : new int[] {1, 7, 16, rows.rows()}) {
      WideDeepModel rebuilt = WideDeepModel.fromBytes(BinaryState.toBytes(rows::writeWithoutRowsTo));
      RowsApart into = rebuilt.rowsApart();
      assertThat(into.nextWrittenRow(0)).as("no rows in the rowless bytes").isEqualTo(-1);
      for (int from = 0; from < rows.rows(); from += block) {
        into.putRows(from, rows.copyRows(from, Math.min(block, rows.rows() - from)));
      }
      assertThat(rebuilt.toBytes()).as("blocks of %d", block).isEqualTo(model.toBytes());
      assertThat(into.nextWrittenRow(0)).isEqualTo(rows.nextWrittenRow(0));
      assertThat(into.nextWrittenRow(WIDE_ROWS)).isEqualTo(rows.nextWrittenRow(WIDE_ROWS));
      float[] expected = new float[3];
      float[] actual = new float[3];
      Map<String, Object> probe = Map.of("a", "a3", "b", "b4", "x", 0.5f);
      model.copy().predictProba(probe, expected);
      rebuilt.predictProba(probe, actual);
      assertThat(actual).containsExactly(expected);
      WideDeepModel next = model.copy();
      WideDeepBatch more = batch(spec, new Random(block), labels);
      assertThat(rebuilt.trainMinibatch(more, labels, null)).isEqualTo(next.trainMinibatch(more, labels, null));
      assertThat(rebuilt.toBytes()).isEqualTo(next.toBytes());
    }
  }

  @Test
  void floatsThatDoNotEndOnARowAreRefused() {
    RowsApart rows = WideDeepModel.create(ModelSpec.parse(SPEC)).rowsApart();
    float[] across = rows.copyRows(255, 3);
    assertThat(across).as("2 wide rows, 1 table row").hasSize(2 * 9 + 12);
    assertThatThrownBy(() -> rows.putRows(255, java.util.Arrays.copyOf(across, across.length - 1)))
        .hasMessage("putRows: 11 floats left for row 257, expected a multiple of its part's 12");
    assertThatThrownBy(() -> rows.putRows(rows.rows() - 1, new float[24]))
        .hasMessage("putRows: 12 floats left for row 337, expected rows within [0, 337)");
    assertThatThrownBy(() -> rows.copyRows(330, 8)).hasMessage("rows [330, 330 + 8): expected within [0, 337)");
  }
}
