import { IPreflightResult, describeFinding } from './api';
import { el, uniqueId } from './dom';

/** One file's pre-flight result in the release dialog: the verdict in words, then the findings. */
export function renderFindings(node: HTMLElement, result?: IPreflightResult): void {
  node.replaceChildren();
  if (!result) {
    node.append(el('p', { text: 'No check result for this file.' }));
    return;
  }
  const verdict = result.verdict ?? 'error';
  node.dataset.verdict = verdict;
  const labels: Record<string, string> = {
    pass: 'Passed',
    fail: 'Fails the checks',
    review: 'Needs a checker\u2019s review',
    error: 'Could not be checked'
  };
  const summary = result.summary || result.error || '';
  node.append(
    el('p', { class: `haven-verdict haven-verdict-${verdict}` },
      el('strong', { text: labels[verdict] ?? verdict }), summary ? ` \u2014 ${summary}` : '')
  );
  const findings = (result.findings ?? []).filter(f => f.verdict !== 'pass');
  if (findings.length > 0) {
    const list = el('ul', { class: 'haven-finding-list', 'aria-label': `Findings for ${result.path}` });
    for (const finding of findings.slice(0, 20)) {
      list.append(el('li', { 'data-rule': finding.rule, text: describeFinding(finding) }));
    }
    if (findings.length > 20) {
      list.append(el('li', { text: `\u2026 and ${findings.length - 20} more` }));
    }
    node.append(list);
  }
}

/** "Discard this release request?", hidden until Escape asks it of a half-filled form. */
export function discardQuestion(keepEditing: () => void, discard: () => void): HTMLElement {
  const questionId = uniqueId('discard-question');
  const keep = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-accept', text: 'Keep editing' });
  const drop = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-warn', text: 'Discard' });
  keep.addEventListener('click', keepEditing);
  drop.addEventListener('click', discard);
  const question = el(
    'div',
    { class: 'haven-discard', role: 'alertdialog', 'aria-labelledby': questionId },
    el('p', { id: questionId, text: 'Discard this release request? What you typed will be lost.' }),
    el('div', { class: 'haven-dialog-buttons' }, keep, drop)
  );
  question.hidden = true;
  return question;
}
