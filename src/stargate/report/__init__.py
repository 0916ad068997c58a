"""Rendering: tables for the terminal, HTML reports and charts. Takes result objects from the
engines and never computes them; nothing here is imported by an engine."""
