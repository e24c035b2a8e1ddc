import { either, include, TemplateMarkers, valueOr, when, withScalar, withValue } from './templateMarkers';

function written(build: (markers: TemplateMarkers) => unknown): string {
  const markers = new TemplateMarkers();
  return markers.replaceIn(TemplateMarkers.yamlAt(build(markers), ''));
}

describe('TemplateMarkers', () => {
  it('replaces a scalar marker by its template text, in place', () => {
    expect(written((m) => ({ spec: { replicas: m.scalar('{{ .Values.replicaCount }}') } }))).toBe(
      'spec:\n  replicas: {{ .Values.replicaCount }}',
    );
  });

  it("replaces an entry marker by lines at the entry's indentation, naming the entry's key", () => {
    expect(written((m) => ({ spec: { nodeSelector: m.line(withValue('.Values.nodeSelector')) } }))).toBe(
      'spec:\n  {{- with .Values.nodeSelector }}\n  nodeSelector:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}',
    );
    expect(written((m) => ({ a: { priorityClassName: m.line(withScalar('.Values.priorityClassName')) } }))).toBe(
      'a:\n  {{- with .Values.priorityClassName }}\n  priorityClassName: {{ . | quote }}\n  {{- end }}',
    );
  });

  it('splices named templates into a mapping, whatever the stand-in key', () => {
    expect(written((m) => ({ metadata: { labels: { 'msk.helm/labels': m.line(include('chart.labels')) } } }))).toBe(
      'metadata:\n  labels:\n    {{- include "chart.labels" $ | nindent 4 }}',
    );
  });

  it('writes conditional list items and alternatives, with markers nested inside replaced too', () => {
    const text = written((m) => ({
      env: [
        { name: 'A', value: '1' },
        m.line(when('.Values.b', { name: 'B', value: m.scalar('{{ .Values.b | quote }}') })),
      ],
      egress: m.line(either('.Values.open', [{}], [{ ports: [53] }])),
      affinity: m.line(valueOr('.Values.affinity', { soft: true })),
    }));
    expect(text).toBe(
      [
        'env:',
        '  - name: A',
        '    value: "1"',
        '  {{- if .Values.b }}',
        '  - name: B',
        '    value: {{ .Values.b | quote }}',
        '  {{- end }}',
        '{{- if .Values.open }}',
        'egress:',
        '  - {}',
        '{{- else }}',
        'egress:',
        '  - ports:',
        '      - 53',
        '{{- end }}',
        '{{- with .Values.affinity }}',
        'affinity:',
        '  {{- toYaml . | nindent 2 }}',
        '{{- else }}',
        'affinity:',
        '  soft: true',
        '{{- end }}',
      ].join('\n'),
    );
  });

  it('throws if an entry marker is the first key of a list item (its indentation would be wrong)', () => {
    expect(() => written((m) => ({ rules: [{ from: m.line(withValue('.Values.from')), ports: [80] }] }))).toThrow(
      /first key of a list item \(from\)/,
    );
  });

  it('throws on a marker it did not make', () => {
    expect(() => new TemplateMarkers().replaceIn('a: mskhelmscalar00042x')).toThrow(
      /unknown template marker mskhelmscalar00042x/,
    );
  });
});
