"""Rendering with Mitsuba 3: variants, scenes and cameras, the frame renderer, the emission split and render-pairs."""
