"""The simulator and the demo: a simulated region, the demo scenario, its report and chart."""
