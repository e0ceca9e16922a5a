package dev.chorus.core.bench;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a label costs a Dawid–Skene label model whose item history is full (2^18 items, the default bound) when every
 * label comes from an annotator never seen before ({@code invented}: each takes a slot, evicting another one-label
 * annotator, whose labels must be forgotten), against labels from known annotators ({@code known}). 200 protected
 * annotators (1,310 labels each) hold 200 of the 256 slots; the invented ones churn the other 56. One operation is a
 * minibatch of 16 labels of new items; labels/s is 16 × ops/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AnnotatorChurnBenchmark {

  static final int ITEMS = 1 << 18;
  static final int REGULARS = 200;
  static final int BATCH = 16;

  @Param({"invented", "known"})
  public String annotators;

  private LabelModel model;
  private long nextItem;
  private long nextAnnotator;
  private final long[] items = new long[BATCH];
  private final String[] who = new String[BATCH];
  private final int[] labels = new int[BATCH];

  @Setup
  public void setUp() {
    model = LabelModels.create(ModelSpec.parse("""
        {"algorithm":"softmax-regression","inputDim":0,"numClasses":3,"batchSize":16,
         "labelModel":{"method":"dawid-skene","maxAnnotators":256}}"""));
    for (nextItem = 0; nextItem < ITEMS; ) {
      for (int e = 0; e < BATCH; e++, nextItem++) {
        items[e] = nextItem;
        who[e] = "regular-" + nextItem % REGULARS;
        labels[e] = (int) (nextItem % 3);
      }
      model.train(new float[0], items, who, labels, BATCH);
    }
  }

  @Benchmark
  public LabelModel minibatch() {
    boolean invented = annotators.equals("invented");
    for (int e = 0; e < BATCH; e++, nextItem++) {
      items[e] = nextItem;
      who[e] = invented ? "invented-" + nextAnnotator++ : "regular-" + nextItem % REGULARS;
      labels[e] = (int) (nextItem % 3);
    }
    model.train(new float[0], items, who, labels, BATCH);
    return model;
  }
}
