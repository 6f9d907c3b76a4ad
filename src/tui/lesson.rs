//! The lesson pane's state: which chapter and step the learner is on, in
//! which language, what the lab has shown so far, and the quiz answers.
//!
//! Only [`App::update`](super::app::App::update) calls the methods that
//! change it. Moving to a step returns that step's actions; the app turns
//! them into effects on the lab and the screen.

use std::collections::BTreeMap;

use crate::lab::Event;
use crate::lesson::facts::Facts;
use crate::lesson::progress::{Progress, Resume};
use crate::lesson::set::Course;
use crate::lesson::{Diagram, Element, Lang, Lesson, StepAction};

/// Where the learner is in a chapter: the introduction (the body), one
/// of the steps, or one of the quiz questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The chapter's reading, before the first step.
    Intro,
    /// Step `i` (0-based) has been carried out and is shown live.
    Step(usize),
    /// Quiz question `i` (0-based).
    Quiz(usize),
}

/// The lesson pane's state.
#[derive(Debug, Clone)]
pub struct LessonView {
    /// Every lesson loaded, both languages.
    pub course: Course,
    /// The language shown.
    pub lang: Lang,
    /// The chapter shown, if any.
    pub chapter: Option<u32>,
    /// Where in the chapter.
    pub place: Place,
    /// The pane is shown.
    pub open: bool,
    /// The lesson list overlay, with its selected row, when open.
    pub list: Option<usize>,
    /// What the lab's events established since the newest lab started.
    pub facts: Facts,
    /// Per chapter and step: each expectation's result when the learner
    /// left the step (or later, when a step left early was met), so a
    /// later `scenario` does not turn old ticks into crosses.
    pub results: BTreeMap<(u32, usize), Vec<bool>>,
    /// Quiz choices made in this run, per chapter and question (0-based).
    pub answers: BTreeMap<(u32, usize), usize>,
    /// Steps reached and quiz results, as saved.
    pub progress: Progress,
    /// The progress changed since it was last saved.
    pub progress_dirty: bool,
    /// The current step's highlight has scrolled its line into view once;
    /// after that the learner's own scrolling is left alone.
    pub revealed: bool,
    /// Steps (chapter, step) the learner left before their checks held.
    /// The lab answers a step's actions a moment after they are sent, so
    /// a quick `]` leaves a step before its events arrive; such a step is
    /// met when its checks hold on a later event of the same lab.
    pub late: Vec<(u32, usize)>,
    /// The current step's actions were carried out on the lab as it is
    /// now (the step was reached going forward), so its checks are the
    /// lab's to settle and are shown live. A step gone back to with `[`
    /// is shown with the results it had: the lab has moved on since.
    pub carried_out: bool,
}

impl Default for LessonView {
    fn default() -> Self {
        LessonView {
            course: Course::default(),
            lang: Lang::En,
            chapter: None,
            place: Place::Intro,
            open: false,
            list: None,
            facts: Facts::default(),
            results: BTreeMap::new(),
            answers: BTreeMap::new(),
            progress: Progress::default(),
            progress_dirty: false,
            revealed: false,
            late: Vec::new(),
            carried_out: false,
        }
    }
}

impl LessonView {
    /// The chapters there are, in order.
    pub fn chapters(&self) -> Vec<u32> {
        self.course.chapters()
    }

    /// A chapter in the language shown, or in the other one when the
    /// teacher wrote only one.
    pub fn lesson_of(&self, chapter: u32) -> Option<&Lesson> {
        self.course.get(chapter, self.lang)
    }

    /// The chapter shown.
    pub fn current(&self) -> Option<&Lesson> {
        self.chapter.and_then(|c| self.lesson_of(c))
    }

    /// Open a chapter at its introduction.
    pub fn open_chapter(&mut self, chapter: u32) {
        self.chapter = Some(chapter);
        self.place = Place::Intro;
        self.open = true;
        self.revealed = false;
        self.carried_out = false;
        self.note_place();
    }

    /// Keep the place shown in the progress, so a closed lab reopens
    /// there. Marks the progress for saving only when the place changed.
    fn note_place(&mut self) {
        let Some(id) = self.current().map(|l| l.id.clone()) else {
            return;
        };
        let (step, quiz) = match self.place {
            Place::Intro => (None, None),
            Place::Step(s) => (Some(s), None),
            Place::Quiz(q) => (None, Some(q)),
        };
        let here = Resume {
            id,
            lang: self.lang.code().to_string(),
            step,
            quiz,
        };
        if self.progress.resume.as_ref() != Some(&here) {
            self.progress.resume = Some(here);
            self.progress_dirty = true;
        }
    }

    /// Go back to the place saved in the progress, if its chapter is still
    /// in the course. Returns `None` when there is nothing to go back to,
    /// otherwise the actions to carry out: a saved step is reached again
    /// the way the learner reached it, by carrying out every step of the
    /// chapter up to it on the fresh lab, so the step shows what it talks
    /// about. A saved quiz question needs no lab and is simply shown.
    pub fn restore(&mut self) -> Option<Vec<StepAction>> {
        let saved = self.progress.resume.clone()?;
        if let Some(lang) = Lang::ALL.into_iter().find(|l| l.code() == saved.lang) {
            self.lang = lang;
        }
        let chapter = self
            .chapters()
            .into_iter()
            .find(|&c| self.lesson_of(c).is_some_and(|l| l.id == saved.id))?;
        self.open_chapter(chapter);
        let (steps, quiz) = self
            .current()
            .map(|l| (l.steps.len(), l.quiz.len()))
            .unwrap_or_default();
        let mut actions = Vec::new();
        match (saved.step, saved.quiz) {
            (_, Some(q)) if q < quiz => {
                self.place = Place::Quiz(q);
                self.note_place();
                self.show_saved_results(steps);
            }
            (Some(s), _) if s < steps => {
                while self.place != Place::Step(s) {
                    actions.extend(self.forward());
                }
                // The steps before it are passed before the fresh lab has
                // done anything, so what was frozen for them says nothing.
                self.late.clear();
                self.show_saved_results(s);
            }
            _ => {}
        }
        Some(actions)
    }

    /// Show the first `upto` steps of the current chapter, not carried
    /// out in this run, as the saved progress has them: ticks for a step
    /// met, no marks for one that was not.
    fn show_saved_results(&mut self, upto: usize) {
        let (Some(c), Some(l)) = (self.chapter, self.current()) else {
            return;
        };
        let met = self
            .progress
            .lesson(&l.id)
            .map(|p| p.met.clone())
            .unwrap_or_default();
        let expects: Vec<usize> = l.steps.iter().map(|st| st.expect.len()).collect();
        for (i, n) in expects.into_iter().enumerate().take(upto) {
            if met.contains(&i) {
                self.results.insert((c, i), vec![true; n]);
            } else {
                self.results.remove(&(c, i));
            }
        }
    }

    /// Record what the current place settles: the step is met when all its
    /// expectations hold (at once for a step without any), and the chapter
    /// is done when every step was met and every quiz question answered.
    /// The app calls it once a step's actions are carried out (a step that
    /// starts a new lab must not be judged by the old lab's facts), and
    /// [`LessonView::apply`] after every lab event.
    pub fn settle(&mut self) {
        let Some(l) = self.current() else {
            return;
        };
        let id = l.id.clone();
        let met_now = match self.place {
            Place::Step(s) if self.carried_out => l
                .steps
                .get(s)
                .filter(|st| st.expect.iter().all(|e| self.facts.holds(e)))
                .map(|_| s),
            _ => None,
        };
        let (steps, questions) = (l.steps.len(), l.quiz.len());
        if let Some(s) = met_now
            && !self
                .progress
                .lesson(&id)
                .is_some_and(|p| p.met.contains(&s))
        {
            self.progress.meet(&id, s);
            self.progress_dirty = true;
        }
        self.complete_if_done(&id, steps, questions);
    }

    /// Mark lesson `id` done if every one of its `steps` was met and
    /// every one of its `questions` answered.
    fn complete_if_done(&mut self, id: &str, steps: usize, questions: usize) {
        if let Some(p) = self.progress.lesson(id)
            && !p.done
            && steps + questions > 0
            && (0..steps).all(|s| p.met.contains(&s))
            && (0..questions).all(|q| p.answer(q).is_some())
        {
            self.progress.complete(id);
            self.progress_dirty = true;
        }
    }

    /// Meet the steps left early whose checks hold now, and show them
    /// with their ticks.
    fn settle_late(&mut self) {
        for (c, s) in std::mem::take(&mut self.late) {
            let Some(l) = self.lesson_of(c) else {
                continue;
            };
            let Some(step) = l.steps.get(s) else {
                continue;
            };
            if !step.expect.iter().all(|e| self.facts.holds(e)) {
                self.late.push((c, s));
                continue;
            }
            let (id, n) = (l.id.clone(), step.expect.len());
            let (steps, questions) = (l.steps.len(), l.quiz.len());
            self.results.insert((c, s), vec![true; n]);
            self.progress.meet(&id, s);
            self.progress_dirty = true;
            self.complete_if_done(&id, steps, questions);
        }
    }

    /// Every place of the current chapter, in order.
    fn places(&self) -> Vec<Place> {
        let Some(l) = self.current() else {
            return vec![Place::Intro];
        };
        let mut p = vec![Place::Intro];
        p.extend((0..l.steps.len()).map(Place::Step));
        p.extend((0..l.quiz.len()).map(Place::Quiz));
        p
    }

    /// Move to the next place. Returns the actions of the step moved to
    /// (empty when it is not a step, or at the end).
    pub fn forward(&mut self) -> Vec<StepAction> {
        let places = self.places();
        let i = places.iter().position(|p| *p == self.place).unwrap_or(0);
        let Some(&to) = places.get(i + 1) else {
            return Vec::new();
        };
        self.freeze();
        self.place = to;
        self.revealed = false;
        self.carried_out = matches!(to, Place::Step(_));
        if self.chapter.is_none() {
            return Vec::new();
        }
        match to {
            Place::Step(s) => {
                let Some(l) = self.current() else {
                    return Vec::new();
                };
                let id = l.id.clone();
                let actions = l.steps.get(s).map(|st| st.actions.clone());
                self.progress.reach(&id, s);
                self.progress_dirty = true;
                self.note_place();
                actions.unwrap_or_default()
            }
            _ => {
                self.note_place();
                Vec::new()
            }
        }
    }

    /// Move to the previous place. Nothing is carried out again: the lab
    /// stays as it is, and the step is shown with its results.
    pub fn back(&mut self) {
        let places = self.places();
        let i = places.iter().position(|p| *p == self.place).unwrap_or(0);
        if i > 0 {
            self.freeze();
            self.place = places[i - 1];
            self.revealed = false;
            self.carried_out = false;
            self.note_place();
        }
    }

    /// Keep the current step's results as they are now, if they are its
    /// own: a step gone back to keeps the results it had.
    fn freeze(&mut self) {
        if let (Some(c), Place::Step(s), true) = (self.chapter, self.place, self.carried_out)
            && let Some(step) = self.current().and_then(|l| l.steps.get(s))
        {
            let r: Vec<bool> = step.expect.iter().map(|e| self.facts.holds(e)).collect();
            if !r.iter().all(|ok| *ok) && !self.late.contains(&(c, s)) {
                self.late.push((c, s));
            }
            self.results.insert((c, s), r);
        }
    }

    /// The results to show for step `s`: live for the current step when
    /// it was carried out, as frozen otherwise (none for steps not
    /// reached).
    pub fn step_results(&self, s: usize) -> Option<Vec<bool>> {
        let c = self.chapter?;
        let step = self.current()?.steps.get(s)?;
        if self.place == Place::Step(s) && self.carried_out {
            Some(step.expect.iter().map(|e| self.facts.holds(e)).collect())
        } else {
            self.results.get(&(c, s)).cloned()
        }
    }

    /// Note a lab event.
    pub fn apply(&mut self, event: &Event) {
        self.facts.apply(event);
        self.settle_late();
        self.settle();
    }

    /// A fresh lab started: forget what the old one showed. A step left
    /// early can no longer be met: its lab is gone.
    pub fn lab_restarted(&mut self) {
        self.facts.reset();
        self.late.clear();
    }

    /// Answer the current quiz question with choice `choice` (0-based).
    /// Returns false when there is no such choice here.
    pub fn answer(&mut self, choice: usize) -> bool {
        let (Some(c), Place::Quiz(q)) = (self.chapter, self.place) else {
            return false;
        };
        let Some(l) = self.current() else {
            return false;
        };
        let Some(question) = l.quiz.get(q) else {
            return false;
        };
        if choice >= question.choices.len() {
            return false;
        }
        let right = choice == question.answer;
        let id = l.id.clone();
        self.answers.insert((c, q), choice);
        self.progress.answer(&id, q, choice, right);
        self.progress_dirty = true;
        self.settle();
        true
    }

    /// The diagram in effect: the newest one drawn by the current step or
    /// an earlier one.
    pub fn diagram(&self) -> Option<(Diagram, u32)> {
        let l = self.current()?;
        let upto = match self.place {
            Place::Intro => return None,
            Place::Step(s) => s,
            Place::Quiz(_) => l.steps.len().saturating_sub(1),
        };
        l.steps.get(..=upto)?.iter().rev().find_map(|st| {
            st.actions.iter().rev().find_map(|a| match a {
                StepAction::Diagram(d, n) => Some((*d, *n)),
                _ => None,
            })
        })
    }

    /// The element the current step points at.
    pub fn highlight(&self) -> Option<Element> {
        let Place::Step(s) = self.place else {
            return None;
        };
        self.current()?
            .steps
            .get(s)?
            .actions
            .iter()
            .find_map(|a| match a {
                StepAction::Highlight(e) => Some(*e),
                _ => None,
            })
    }

    /// Switch language, staying at the same place (both languages have
    /// the same steps).
    pub fn toggle_lang(&mut self) {
        self.lang = self.lang.other();
        self.note_place();
    }
}
