package dev.chorus.core.bench;

import dev.chorus.core.model.ValueRange;
import java.util.Random;
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
 * What a spec's {@code featureRange} costs per example: {@link ValueRange#firstOutside} over one example's values
 * that all fit (the common case), against a loop that asks {@link ValueRange#contains} value by value. Results are
 * ns per example.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ValueRangeBenchmark {

  @Param({"784", "8"})
  public int features;

  private final ValueRange range = new ValueRange(0, 1);
  private float[] values;

  @Setup
  public void setUp() {
    Random random = new Random(1);
    values = new float[features];
    for (int i = 0; i < features; i++) {
      values[i] = random.nextFloat();
    }
  }

  @Benchmark
  public int firstOutside() {
    return range.firstOutside(values, 0, values.length);
  }

  @Benchmark
  public int valueByValue() {
    for (int i = 0; i < values.length; i++) {
      if (!range.contains(values[i])) {
        return i;
      }
    }
    return -1;
  }
}
